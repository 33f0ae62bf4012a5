//go:build ((!gles && !arm && !arm64) || darwin) && !wasm && !test_web_driver

// This file is Fyne v2.7.1's internal/driver/glfw/glfw_core.go (BSD
// 3-Clause, Copyright (C) 2018 Fyne.io developers), put in place by
// ui/fynepatch: the window asks for no depth or stencil buffer.

package glfw

import "github.com/go-gl/glfw/v3.3/glfw"

func initWindowHints() {
	glfw.WindowHint(glfw.ContextVersionMajor, 2)
	glfw.WindowHint(glfw.ContextVersionMinor, 1)
	// Fyne draws in 2D with the depth test off: a depth and stencil buffer
	// would only be cleared every frame (in software, 4 bytes a pixel).
	glfw.WindowHint(glfw.DepthBits, 0)
	glfw.WindowHint(glfw.StencilBits, 0)

	glfw.WindowHint(glfw.CocoaGraphicsSwitching, glfw.True)
}
