// Package heaptrim hands back to the system the memory that C libraries
// freed. glibc's allocator keeps freed memory for the next allocation; the
// window's OpenGL driver (Mesa, which compiles its shaders with LLVM when it
// draws in software) frees a few megabytes of start-up work that a waiting
// kiosk never asks for again.
package heaptrim
