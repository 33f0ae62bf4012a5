// Added to Fyne v2.7.1's internal/driver/glfw by ui/fynepatch (the idle
// mode of loop.go): the web driver keeps upstream's 60 Hz ticker.

//go:build wasm || test_web_driver

package glfw

const canIdle = false

func waitEventsTimeout(float64) {}

func postEmptyEvent() {}
