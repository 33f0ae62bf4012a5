package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
)

// A garage enrols its kiosk at one replica; that replica is then killed,
// and the kiosk signs in through nginx at the other two, which open the
// credential it sealed. Denying the kiosk reaches both within a second.
func TestEnrolAtOneReplicaSignInAtTheOthers(t *testing.T) {
	c := newClusterTop(t, "enrolment = \"garage\"\ndeny_file = \"denied\"\n", "")
	s := auth.DefaultSettings(auth.EnvSimulator)
	s.PollInterval = auth.MinPollInterval
	enroller, err := auth.NewEnroller("http://"+c.addrs[0], "werkplaats-1", s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := enroller.Enrol(ctx, func(code auth.EnrolCode) {
		if err := c.sim.Approve(code.URI, "ioe", "1234"); err != nil {
			t.Errorf("approving the enrolment: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.replicas[0].metric(t, "workshop_login_relay_enrolments_total"); n < 2 { // started and enrolled
		t.Errorf("enrolments counted at the replica that enrolled: %v", n)
	}
	c.replicas[0].kill()
	before := c.polls(t)
	p, err := auth.NewRelayed(auth.RelaySettings{URL: c.url, KioskKey: got.Credential}, s)
	if err != nil {
		t.Fatal(err)
	}
	var qr auth.QRCode
	e := signIn(t, p, func(e auth.Event) {
		if e.Kind == auth.EventQRReady {
			qr = e.QR
		}
		if e.Kind == auth.EventWaiting {
			waitFor(t, "polls on both live replicas", func() bool { return answering(before, c.polls(t)) >= 2 })
			approve(t, c, qr)
		}
	})
	checkPerson(t, e)
	if err := os.WriteFile(filepath.Join(c.site.dir, "denied"), []byte("kiosk "+got.Kiosk.Code+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for _, addr := range c.addrs[1:] {
		rc, _ := auth.NewRelayed(auth.RelaySettings{URL: "http://" + addr, KioskKey: got.Credential}, s)
		waitFor(t, "the denied kiosk refused at "+addr, func() bool {
			_, err := rc.Relay().Whoami(context.Background())
			return auth.KeyOf(err) == auth.MsgNotEnrolled
		})
	}
	if took := time.Since(began); took > 1500*time.Millisecond {
		t.Errorf("the deny list reached both replicas after %v, want about a second", took)
	}
}
