package weblogin_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/workshop-login/workshop-login/auth"
	"github.com/workshop-login/workshop-login/auth/authtest"
	"github.com/workshop-login/workshop-login/auth/simulator"
	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// `login --web --terminal` exits on the approval. Against a provider whose
// last redirect comes straight back (zitadel's example OP; here each
// redirect is followed by hand, as a browser does), the process ended
// before the callback's page was written, and the person in the browser was
// left with an error page. The approval must come after the page.
func TestWebLoginDeliversTheLastPageBeforeTheApproval(t *testing.T) {
	srv := authtest.Simulator(t, simulator.Options{})
	approved := make(chan struct{})
	var pageAfterApproval atomic.Bool
	opened := make(chan weblogin.BrowserStart, 1)
	web, err := weblogin.New(authtest.Settings(srv), auth.EnvSimulator, func(_ context.Context, start weblogin.BrowserStart) error { opened <- start; return nil })
	if err != nil {
		t.Fatal(err)
	}
	web.SetPageText(func(k auth.MessageKey) string {
		if k == auth.MsgWebReturn {
			// The page is being written: has the kiosk moved on already?
			// (The bound only keeps a fixed engine from waiting on us.)
			select {
			case <-approved:
				pageAfterApproval.Store(true)
			case <-time.After(2 * time.Second):
			}
		}
		return "text of " + string(k)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := web.Start(ctx)
	browsed := make(chan *authtest.Page, 1)
	go func() {
		b := authtest.NewBrowser(t)
		b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		page := b.Open(b.Launch(<-opened))
		for page.Status/100 == 3 {
			page = b.Open(page.Location(t).String())
		}
		page = b.Submit(page, map[string]string{"persona": "ioe", "pin": "1234", "decision": "approve"})
		for page.Status/100 == 3 { // the last of them lands on the kiosk's callback
			page = b.Open(page.Location(t).String())
		}
		browsed <- page
	}()
	for e := range events {
		if e.Kind == auth.EventApproved {
			close(approved) // the terminal would exit here
			cancel()
		}
	}
	page := <-browsed
	if pageAfterApproval.Load() {
		t.Error("the sign-in was approved before the browser's last page was written: a terminal exiting then cuts it off")
	}
	if !strings.Contains(page.Body, "text of auth.web_return") || !strings.Contains(page.Body, "</html>") {
		t.Errorf("the browser's last page (%d):\n%s", page.Status, page.Body)
	}
}
