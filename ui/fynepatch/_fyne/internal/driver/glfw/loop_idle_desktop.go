// Added to Fyne v2.7.1's internal/driver/glfw by ui/fynepatch (the idle
// mode of loop.go): GLFW's own wait and wake-up.

//go:build !wasm && !test_web_driver

package glfw

import "github.com/go-gl/glfw/v3.3/glfw"

// canIdle: GLFW on a desktop can wait for input and be woken.
const canIdle = true

// waitEventsTimeout sleeps until input, an empty event or the timeout, and
// handles the input that arrived.
func waitEventsTimeout(seconds float64) {
	glfw.WaitEventsTimeout(seconds)
}

// postEmptyEvent wakes waitEventsTimeout; GLFW allows it from any thread.
// go-gl's glfw reports errors through one channel for all threads and
// panics on an error its caller did not expect: one raised on the main
// thread at the same moment (a clipboard without text) must not end the
// program here.
func postEmptyEvent() {
	defer func() { _ = recover() }()
	glfw.PostEmptyEvent()
}
