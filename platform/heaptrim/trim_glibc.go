//go:build linux && cgo

package heaptrim

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

// malloc_trim is glibc's; looked up at run time, so a C library without it
// (musl) costs nothing.
static int trim(void) {
	int (*malloc_trim)(size_t) = (int (*)(size_t))dlsym(RTLD_DEFAULT, "malloc_trim");
	return malloc_trim ? malloc_trim(0) : -1;
}

// leave_freed allocates n blocks of size bytes and frees all but the last,
// which keeps the heap's top in place: freed memory the allocator keeps.
static void *leave_freed(int n, size_t size) {
	void **blocks = malloc(n * sizeof(void *));
	if (!blocks) return NULL;
	for (int i = 0; i < n; i++) {
		blocks[i] = malloc(size);
		if (blocks[i]) ((volatile char *)blocks[i])[size - 1] = 1;
		for (size_t off = 0; blocks[i] && off < size; off += 4096) ((volatile char *)blocks[i])[off] = 1;
	}
	void *last = blocks[n - 1];
	for (int i = 0; i < n - 1; i++) free(blocks[i]);
	free(blocks);
	return last;
}
*/
import "C"

import "unsafe"

// Trim returns the C heap's free memory to the system; it says whether
// there was any.
func Trim() bool {
	return C.trim() == 1
}

// leaveFreed is for the test: n blocks of size bytes allocated, touched and
// freed in C, but for the last, which it returns (for C.free).
func leaveFreed(n, size int) unsafe.Pointer {
	return C.leave_freed(C.int(n), C.size_t(size))
}

func free(p unsafe.Pointer) { C.free(p) }
