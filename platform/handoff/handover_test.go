package handoff

import (
	"errors"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// signOutAtStart is a run record on which a tool lands between its start
// and the sign-out list: a sign-out there is the one EndAll cannot see.
type signOutAtStart struct {
	desk *Handover
	mu   sync.Mutex
	pid  int
}

func (r *signOutAtStart) AddTool(pid int, _ string) error {
	r.mu.Lock()
	r.pid = pid
	r.mu.Unlock()
	r.desk.EndSession()
	return nil
}

func (r *signOutAtStart) RemoveTool(int) error { return nil }

// A person who signs out while a tool starts does not leave it running for
// the next, even when the sign-out came before the tool was on its list.
func TestSignOutWhileAToolStartsEndsIt(t *testing.T) {
	l, err := NewLauncher([]Tool{{Name: "Diagnostics", Command: "sleep", Args: []string{"60"}, EndAtSignOut: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.grace, l.startWindow = 500*time.Millisecond, 100*time.Millisecond
	d := &Handover{Launcher: l}
	rec := &signOutAtStart{desk: d}
	l.RecordIn(rec)
	err = d.LaunchTool("Diagnostics", rsse(t))
	if !errors.Is(err, ErrSignedOut) {
		t.Errorf("LaunchTool = %v, want ErrSignedOut", err)
	}
	rec.mu.Lock()
	pid := rec.pid
	rec.mu.Unlock()
	if pid == 0 || alive(pid) {
		t.Errorf("the tool (pid %d) outlived the sign-out", pid)
	}

	// Without a sign-out the tool is launched, and the next sign-out ends it.
	l.RecordIn(&recordLog{running: map[int]string{}})
	if err := d.LaunchTool("Diagnostics", rsse(t)); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	cmd := l.running[0].cmd
	l.mu.Unlock()
	d.EndSession()
	if alive(cmd.Process.Pid) {
		t.Error("the tool outlived the sign-out")
	}
}

// A hand-off page the person signed out during is dropped with its
// launcher, and the repair portal is not reported opened.
func TestSignOutWhileThePortalOpensDropsThePage(t *testing.T) {
	post := NewFormPost(&url.URL{Scheme: "https", Host: "portal.example", Path: "/handoff"}, nil)
	post.dir = t.TempDir()
	defer post.Close()
	var opened []*url.URL
	signOut := false
	d := &Handover{PortalHandoff: post}
	d.OpenURL = func(u *url.URL) error {
		opened = append(opened, u)
		if signOut {
			d.EndSession()
		}
		return nil
	}
	exists := func(u *url.URL) bool { _, err := os.Stat(u.Path); return err == nil }

	if err := d.OpenPortal(rsse(t)); err != nil || len(opened) != 1 || !exists(opened[0]) || len(post.secrets()) != 1 {
		t.Fatalf("OpenPortal = %v; opened %v; pages %d", err, opened, len(post.secrets()))
	}
	d.EndSession()
	if exists(opened[0]) || len(post.secrets()) != 0 {
		t.Error("a page not yet opened outlived the sign-out")
	}

	signOut = true
	if err := d.OpenPortal(rsse(t)); !errors.Is(err, ErrSignedOut) {
		t.Errorf("OpenPortal = %v, want ErrSignedOut", err)
	}
	if len(opened) != 2 || exists(opened[1]) || len(post.secrets()) != 0 {
		t.Errorf("the page made before the sign-out is still there: %v, %d pages", opened, len(post.secrets()))
	}
}
