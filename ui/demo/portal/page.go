package portal

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/workshop-login/workshop-login/auth/assertion"
	"github.com/workshop-login/workshop-login/auth/webpage"
)

// welcome is the page for a verified hand-off.
func welcome(id assertion.Identity, audience string, now time.Time) portalData {
	garage := orgName(id.IOUID)
	role := "technician of"
	if id.Role == assertion.RoleRSSE {
		role = "remote specialist for"
	}
	heading := fmt.Sprintf("Welcome, %s %s (authorisation %s), verified", role, garage, id.AuthorisationUID)
	d := portalData{Title: "Demo repair portal: " + garage, Heading: heading, Class: "good"}
	if id.Role == assertion.RoleRSSE {
		d.Paragraphs = append(d.Paragraphs, fmt.Sprintf("You work for %s, on a chain authorisation that %s granted: it works once.",
			orgName(id.RSSUID), garage))
	}
	d.Paragraphs = append(d.Paragraphs, "The relay's signature on this hand-off checks out against its published keys. "+
		"This portal will not accept the same hand-off again: the kiosk's button makes a new one.")
	d.Rows = []portalRow{
		{"Garage", id.IOUID},
		{"Authorisation UID", id.AuthorisationUID},
		{"Role", id.Role},
		{"Kiosk", id.Kiosk},
		{"Signed by", id.Issuer},
		{"For", audience},
		{"Valid until", fmt.Sprintf("%s (in %s)", id.Expiry.UTC().Format("15:04:05 UTC, 2 January 2006"), id.Expiry.Sub(now).Round(time.Second))},
		{"Hand-off", id.ID},
	}
	if id.Role == assertion.RoleRSSE {
		d.Rows = append(d.Rows[:2], append([]portalRow{{"Remote services supplier", id.RSSUID}}, d.Rows[2:]...)...)
	}
	d.Note = "A real portal pins the relay's address and its own audience in its configuration; " +
		"this demo reads them from the relay the simulator was given (--relay-url, or make run's embedded relay)."
	return d
}

// orgName is an organisation's name: the first part of its UID
// ("NAME/ADDRESS/TAXID").
func orgName(uid string) string {
	name, _, _ := strings.Cut(uid, "/")
	return name
}

type portalRow struct{ Caption, Value string }

type portalData struct {
	Title, Heading, Class string
	Paragraphs            []string
	Rows                  []portalRow
	Note                  string
}

func (p *Portal) portalPage(w http.ResponseWriter, status int, d portalData) {
	webpage.Secure(w.Header())
	w.WriteHeader(status)
	_ = portalTemplate.Execute(w, d)
}

var portalTemplate = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;color:#111}
h1{font-size:1.5rem;padding:.8rem;border-radius:.4rem;background:#eef} h1.good{background:#dfd} h1.bad{background:#fdd}
.note{color:#555;font-size:.9rem} table{border-collapse:collapse;margin:1rem 0}
th{text-align:left;padding:.3rem 1rem .3rem 0;vertical-align:top} td{padding:.3rem 0;word-break:break-all}
</style></head><body>
<p class="note">Demo repair portal, served by the Trust Centre simulator: not a vehicle manufacturer's.</p>
<h1{{if .Class}} class="{{.Class}}"{{end}}>{{.Heading}}</h1>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Rows}}<table>
{{range .Rows}}<tr><th>{{.Caption}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Note}}<p class="note">{{.Note}}</p>
{{end}}</body></html>
`))
