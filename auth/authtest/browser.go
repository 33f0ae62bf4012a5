package authtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/workshop-login/workshop-login/auth/weblogin"
)

// Browser plays the system browser's part in a web login: it follows
// redirects, keeps cookies, and fills in and submits forms as a person
// would.
type Browser struct {
	t      testing.TB
	Client *http.Client
}

// Page is where the browser ended up.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
}

// Location is where a redirect the browser was told not to follow points.
func (p *Page) Location(t testing.TB) *url.URL {
	t.Helper()
	u, err := p.URL.Parse(p.Header.Get("Location"))
	if err != nil || p.Header.Get("Location") == "" {
		t.Fatalf("no redirect from %s (HTTP %d)", p.URL, p.Status)
	}
	return u
}

func NewBrowser(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, Client: &http.Client{Jar: jar}}
}

// Open goes to addr, following redirects.
func (b *Browser) Open(addr string) *Page {
	b.t.Helper()
	resp, err := b.Client.Get(addr)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return read(b.t, resp)
}

// Submit fills in the page's first form with fields (over the form's own
// values) and submits it.
func (b *Browser) Submit(p *Page, fields map[string]string) *Page {
	b.t.Helper()
	action, method, values := firstForm(p.Body)
	if method == "" {
		b.t.Fatalf("browser: no form on %s:\n%s", p.URL, p.Body)
	}
	target, err := p.URL.Parse(action)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range fields {
		values.Set(k, v)
	}
	var resp *http.Response
	if strings.EqualFold(method, "get") {
		target.RawQuery = values.Encode()
		resp, err = b.Client.Get(target.String())
	} else {
		resp, err = b.Client.PostForm(target.String(), values)
	}
	if err != nil {
		b.t.Fatalf("browser: submitting to %s: %v", target, err)
	}
	return read(b.t, resp)
}

func read(t testing.TB, resp *http.Response) *Page {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Page{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// firstForm returns the first form's action, method and the values its
// inputs carry (text, hidden, checked radios and boxes).
func firstForm(page string) (action, method string, values url.Values) {
	values = url.Values{}
	z := html.NewTokenizer(strings.NewReader(page))
	inForm := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return action, method, values
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "form" && inForm {
				return action, method, values
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attr := func(k string) string {
				for _, a := range tok.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch {
			case tok.Data == "form" && !inForm:
				inForm, action, method = true, attr("action"), attr("method")
				if method == "" {
					method = "get"
				}
			case tok.Data == "input" && inForm && attr("name") != "":
				switch attr("type") {
				case "radio", "checkbox":
					if hasAttr(tok, "checked") {
						values.Set(attr("name"), attr("value"))
					}
				case "submit", "button", "image":
				default:
					values.Set(attr("name"), attr("value"))
				}
			}
		}
	}
}

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// Launch does what the kiosk's launcher page does in its browser: posts
// the launcher's secret (from a file, so with Origin "null") and keeps the
// cookie it gets. It returns the authorisation address the answer's page
// goes on to.
func (b *Browser) Launch(start weblogin.BrowserStart) string {
	b.t.Helper()
	addr, err := b.TryLaunch(start)
	if err != nil {
		b.t.Fatalf("browser: the launcher: %v", err)
	}
	return addr
}

// TryLaunch is Launch for a sign-in that may be over before the browser
// gets there (the person went back to the QR code): the launcher's error.
func (b *Browser) TryLaunch(start weblogin.BrowserStart) (string, error) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, start.LaunchURL, strings.NewReader(url.Values{start.LaunchField: {start.LaunchSecret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "null")
	client := &http.Client{Jar: b.Client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	return read(b.t, resp).Refresh(b.t), nil
}

// Refresh is where a page that goes on by itself (a meta refresh) goes.
func (p *Page) Refresh(t testing.TB) string {
	t.Helper()
	m := regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`).FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("browser: %s (HTTP %d) does not go on:\n%s", p.URL, p.Status, p.Body)
	}
	return html.UnescapeString(m[1])
}
