package authtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
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
