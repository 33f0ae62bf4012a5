// This file is Fyne v2.7.1's internal/driver/glfw/loop.go (BSD 3-Clause,
// Copyright (C) 2018 Fyne.io developers) with an idle mode, put over the
// module's own file by the go command's -overlay (see ui/fynepatch). Upstream
// polls for input 60 times a second even when nothing changes, the idle cost
// of fyne-io/fyne#2506; this loop sleeps in GLFW until input, a queued
// function or a quit arrives, as fyne-io/fyne#5422 proposes.

package glfw

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/internal/app"
	"fyne.io/fyne/v2/internal/async"
	"fyne.io/fyne/v2/internal/cache"
	"fyne.io/fyne/v2/internal/driver/common"
	"fyne.io/fyne/v2/internal/painter"
	"fyne.io/fyne/v2/internal/scale"
)

type funcData struct {
	f    func()
	done chan struct{} // Zero allocation signalling channel
}

// channel for queuing functions on the main thread
var (
	funcQueue        = async.NewUnboundedChan[funcData]()
	running, drained atomic.Bool
)

// Arrange that main.main runs on main thread.
func init() {
	runtime.LockOSThread()
	async.SetMainGoroutine()
}

// force a function f to run on the main thread
func runOnMain(f func()) {
	runOnMainWithWait(f, true)
}

// force a function f to run on the main thread and specify if we should wait for it to return
func runOnMainWithWait(f func(), wait bool) {
	// If we are on main before app run just execute - otherwise add it to the main queue and wait.
	// We also need to run it as-is if the app is in the process of shutting down as the queue will be stopped.
	if (!running.Load() && async.IsMainGoroutine()) || drained.Load() {
		f()
		return
	}

	queued.Add(1) // before the send: the loop must not go to sleep past it
	if wait {
		done := common.DonePool.Get()
		defer common.DonePool.Put(done)

		funcQueue.In() <- funcData{f: f, done: done}
		wakeMain()
		<-done
	} else {
		funcQueue.In() <- funcData{f: f}
		wakeMain()
	}
}

// The idle mode. After quietFrames frames that painted nothing while no
// animation ran, the loop stops its 60 Hz ticker and waits in GLFW for
// input, for a function queued to run on the main thread, for a quit, or at
// most idleWait. A function queued while the loop sleeps posts an empty
// event, which stays queued until the loop takes it, so no wake-up is lost:
// either the loop sees the function counted in queued before it sleeps, or
// the function's sender sees the loop sleeping and posts.
const (
	quietFrames = 3
	idleWait    = 1.0 // seconds
)

var (
	// queued counts functions sent to funcQueue and not yet taken from it
	// (they pass through the queue's own goroutine on the way).
	queued atomic.Int64
	// sleeping is set while the loop is about to wait or waits in GLFW.
	sleeping atomic.Bool

	// wakeLock keeps empty events away from GLFW before it is initialised
	// and after it is terminated.
	wakeLock sync.RWMutex
	wakeable bool
)

func setWakeable(on bool) {
	wakeLock.Lock()
	wakeable = on
	wakeLock.Unlock()
}

// wakeMain wakes the loop if it sleeps, so that it takes its queued
// functions or its quit now.
func wakeMain() {
	if !sleeping.Load() {
		return
	}
	wakeLock.RLock()
	defer wakeLock.RUnlock()
	if wakeable {
		postEmptyEvent()
	}
}

// takeQueued is the loop's receive from funcQueue.
func takeQueued(f funcData) funcData {
	queued.Add(-1)
	return f
}

// sleep waits in GLFW unless a function is queued or a quit asked for.
func (d *gLDriver) sleep() {
	sleeping.Store(true)
	defer sleeping.Store(false)
	if queued.Load() > 0 {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	waitEventsTimeout(idleWait)
}

// drawSingleFrame paints the windows whose content changed and says whether
// it painted any.
func (d *gLDriver) drawSingleFrame() (painted bool) {
	refreshed := false
	for _, win := range d.windowList() {
		w := win.(*window)
		if w.closing {
			continue
		}

		// CheckDirtyAndClear must be checked after visibility,
		// because when a window becomes visible, it could be
		// showing old content without a dirty flag set to true.
		// Do the clear if and only if the window is visible.
		if !w.visible || !w.canvas.CheckDirtyAndClear() {
			// Window hidden or not being redrawn, mark canvasForObject
			// cache alive if it hasn't been done recently
			// n.b. we need to make sure threshold is a bit *after*
			// time.Now() - CacheDuration()
			threshold := time.Now().Add(10*time.Second - cache.ValidDuration)
			if w.lastWalkedTime.Before(threshold) {
				w.canvas.WalkTrees(nil, func(node *common.RenderCacheNode, _ fyne.Position) {
					// marks canvas for object cache entry alive
					_ = cache.GetCanvasForObject(node.Obj())
					// marks renderer cache entry alive
					if wid, ok := node.Obj().(fyne.Widget); ok {
						_, _ = cache.CachedRenderer(wid)
					}
				})
				w.lastWalkedTime = time.Now()
			}
			continue
		}

		painted = true
		w.RunWithContext(func() {
			if w.driver.repaintWindow(w) {
				refreshed = true
			}
		})
	}
	cache.Clean(refreshed)
	return painted
}

func (d *gLDriver) runGL() {
	if !running.CompareAndSwap(false, true) {
		return // Run was called twice.
	}

	d.init()
	setWakeable(true)
	if d.trayStart != nil {
		d.trayStart()
	}

	fyne.CurrentApp().Settings().AddListener(func(set fyne.Settings) {
		painter.ClearFontCache()
		cache.ResetThemeCaches()
		app.ApplySettingsWithCallback(set, fyne.CurrentApp(), func(w fyne.Window) {
			c, ok := w.Canvas().(*glCanvas)
			if !ok {
				return
			}
			c.applyThemeOutOfTreeObjects()
			c.reloadScale()
		})
	})

	if f := fyne.CurrentApp().Lifecycle().(*app.Lifecycle).OnStarted(); f != nil {
		f()
	}

	const frame = time.Second / 60
	eventTick := time.NewTicker(frame)
	go func() {
		<-d.done
		wakeMain()
	}()
	quiet := 0
	for {
		if canIdle && quiet >= quietFrames {
			eventTick.Stop()
			d.sleep()
			eventTick.Reset(frame)
			quiet = 0
			d.runFrame(false)
			continue
		}

		select {
		case <-d.done:
			eventTick.Stop()
			setWakeable(false)
			d.Terminate()
			l := fyne.CurrentApp().Lifecycle().(*app.Lifecycle)
			if f := l.OnStopped(); f != nil {
				l.QueueEvent(f)
			}

			// as we are shutting down make sure we drain the pending funcQueue and close it out.
			for len(funcQueue.Out()) > 0 {
				f := takeQueued(<-funcQueue.Out())
				if f.done != nil {
					f.done <- struct{}{}
				}
			}
			drained.Store(true)
			funcQueue.Close()
			return
		case f := <-funcQueue.Out():
			f = takeQueued(f)
			f.f()
			if f.done != nil {
				f.done <- struct{}{}
			}
			quiet = 0
		case <-eventTick.C:
			if d.runFrame(true) {
				quiet = 0
			} else {
				quiet++
			}
		}
	}
}

// runFrame takes input (unless a wait just did), closes and fits windows,
// runs the animations and paints what changed. It says whether the frame
// did anything a person could see, so the loop knows when to go idle.
func (d *gLDriver) runFrame(poll bool) (busy bool) {
	if poll {
		d.pollEvents()
	}
	for i := 0; i < len(d.windows); i++ {
		w := d.windows[i].(*window)
		if w.viewport == nil {
			continue
		}

		if w.viewport.ShouldClose() {
			d.destroyWindow(w, i)
			i-- // Trailing windows are moved forward one step.
			busy = true
			continue
		}

		expand := w.shouldExpand
		fullScreen := w.fullScreen

		if expand && !fullScreen {
			w.fitContent()
			shouldExpand := w.shouldExpand
			w.shouldExpand = false
			view := w.viewport

			if shouldExpand && runtime.GOOS != "js" {
				view.SetSize(w.shouldWidth, w.shouldHeight)
			}
			busy = true
		}
	}

	// A running animation keeps the loop awake, also on frames it leaves
	// unchanged (a cursor that stays lit for a while).
	if d.animation.Running() {
		busy = true
	}
	d.animation.TickAnimations()
	if d.drawSingleFrame() {
		busy = true
	}
	return busy
}

func (d *gLDriver) destroyWindow(w *window, index int) {
	w.visible = false
	w.viewport.Destroy()
	w.destroy(d)

	if index < len(d.windows)-1 {
		copy(d.windows[index:], d.windows[index+1:])
	}
	d.windows[len(d.windows)-1] = nil
	d.windows = d.windows[:len(d.windows)-1]

	if len(d.windows) == 0 {
		d.Quit()
	}
}

func (d *gLDriver) repaintWindow(w *window) bool {
	canvas := w.canvas
	freed := false
	if canvas.EnsureMinSize() {
		w.shouldExpand = true
	}
	freed = canvas.FreeDirtyTextures() > 0

	updateGLContext(w)
	canvas.paint(canvas.Size())

	view := w.viewport
	visible := w.visible

	if view != nil && visible {
		view.SwapBuffers()
	}

	// mark that we have walked the window and don't
	// need to walk it again to mark caches alive
	w.lastWalkedTime = time.Now()
	return freed
}

// refreshWindow requests that the specified window be redrawn
func refreshWindow(w *window) {
	w.canvas.SetDirty()
}

func updateGLContext(w *window) {
	canvas := w.canvas
	size := canvas.Size()

	// w.width and w.height are not correct if we are maximised, so figure from canvas
	winWidth := float32(scale.ToScreenCoordinate(canvas, size.Width)) * canvas.texScale
	winHeight := float32(scale.ToScreenCoordinate(canvas, size.Height)) * canvas.texScale

	canvas.Painter().SetFrameBufferScale(canvas.texScale)
	canvas.Painter().SetOutputSize(int(winWidth), int(winHeight))
}
