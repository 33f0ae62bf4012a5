package simulator

import (
	"errors"
	"html/template"
	"net/http"
	"sort"
)

// The page a phone opens from the QR code: pick a test person, type the PIN
// (shown: a simulator keeps no secrets), approve or deny. Plain HTML forms,
// so a script can post the same fields.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Digidentity Trust Centre simulator</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;color:#111}
h1{font-size:1.3rem} .note{color:#555;font-size:.9rem}
.msg{padding:.8rem;border-radius:.4rem;background:#eef;margin:1rem 0} .bad{background:#fdd} .good{background:#dfd}
label.p{display:block;border:1px solid #ccc;border-radius:.4rem;padding:.6rem;margin:.4rem 0}
input[type=password],input[type=text]{font-size:1.4rem;width:8rem;padding:.3rem}
button{font-size:1.1rem;padding:.7rem 1.4rem;margin:.8rem .5rem 0 0;border-radius:.4rem;border:0;cursor:pointer}
.approve{background:#1a7f37;color:#fff} .deny{background:#b42318;color:#fff}
</style></head><body>
<h1>Digidentity Trust Centre simulator</h1>
<p class="note">Not the real Digidentity: a test stand-in. Each person's PIN is shown on purpose.</p>
{{if .Message}}<p class="msg {{.Class}}">{{.Message}}</p>{{end}}
{{if .Open}}<form method="post">
{{range .Personas}}<label class="p"><input type="radio" name="persona" value="{{.ID}}"{{if eq .ID $.Chosen}} checked{{end}}> {{.Label}}<br><span class="note">PIN {{.PIN}}</span></label>
{{end}}<p><label>PIN <input type="text" name="pin" inputmode="numeric" autocomplete="off"></label></p>
<button class="approve" name="decision" value="approve">Approve</button>
<button class="deny" name="decision" value="deny">Deny</button>
</form>{{end}}
{{if .Poll}}<script>
// Like Digidentity's web login page, whose QR code a phone may answer: once
// it is answered elsewhere, this page goes on to the kiosk by itself.
setInterval(function () { fetch(location.pathname + "?answered").then(function (r) { if (r.status === 200) location.reload(); }); }, 500);
</script>{{end}}
</body></html>
`))

type pageData struct {
	Message, Class, Chosen string
	Open, Poll             bool // Poll: a web sign-in's page, which goes on once answered
	Personas               []Persona
}

func (s *Simulator) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.opts.Now()
	s.prune(now)
	sess := s.sessionByQR(r.PathValue("id"), now)
	open := sess != nil && sess.state == statePending
	web := sess != nil && sess.web != nil
	s.mu.Unlock()
	if r.URL.Query().Has("answered") { // the page's own poll: no side effects
		if !web || open {
			w.WriteHeader(http.StatusNoContent)
		}
		return
	}
	if web && !open {
		if back, ok := s.webAnswer(r.PathValue("id")); ok {
			http.Redirect(w, r, back, http.StatusFound) // answered elsewhere: back to the kiosk
			return
		}
	}
	switch {
	case sess == nil:
		s.render(w, http.StatusNotFound, pageData{Message: ErrUnknownSession.Error(), Class: "bad"})
	case !open:
		s.render(w, http.StatusConflict, pageData{Message: ErrAlreadyAnswered.Error(), Class: "bad"})
	default:
		s.render(w, http.StatusOK, pageData{Open: true, Poll: web, Personas: s.Personas(), Chosen: personas[0].ID})
	}
}

func (s *Simulator) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, pageData{Message: "The form cannot be read.", Class: "bad"})
		return
	}
	decision, persona := r.PostForm.Get("decision"), r.PostForm.Get("persona")
	if decision != "approve" && decision != "deny" {
		s.render(w, http.StatusBadRequest, pageData{Message: "Press Approve or Deny.", Class: "bad", Open: true, Personas: s.Personas(), Chosen: persona})
		return
	}
	err := s.answer(r.PathValue("id"), decision, persona, r.PostForm.Get("pin"))
	s.rememberBrowser(w, r.PathValue("id"))
	if back, ok := s.webAnswer(r.PathValue("id")); ok {
		http.Redirect(w, r, back, http.StatusFound) // a browser sign-in: back to the kiosk
		return
	}
	switch {
	case err == nil && decision == "approve":
		s.render(w, http.StatusOK, pageData{Message: "Approved: return to the kiosk.", Class: "good"})
	case err == nil:
		s.render(w, http.StatusOK, pageData{Message: "Denied: the kiosk will show that sign-in was refused."})
	case errors.Is(err, ErrWrongPIN):
		s.render(w, http.StatusForbidden, pageData{Message: "Wrong PIN: try again.", Class: "bad", Open: true, Personas: s.Personas(), Chosen: persona})
	case errors.Is(err, ErrRefused):
		s.render(w, http.StatusForbidden, pageData{Message: err.Error(), Class: "bad"})
	case errors.Is(err, ErrUnknownSession):
		s.render(w, http.StatusNotFound, pageData{Message: err.Error(), Class: "bad"})
	case errors.Is(err, ErrAlreadyAnswered):
		s.render(w, http.StatusConflict, pageData{Message: err.Error(), Class: "bad"})
	default: // unknown persona
		s.render(w, http.StatusBadRequest, pageData{Message: "Choose a test person.", Class: "bad", Open: true, Personas: s.Personas()})
	}
}

func (s *Simulator) render(w http.ResponseWriter, status int, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, data)
}

func sortSessions(list []SessionInfo) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.After(list[j].CreatedAt)
		}
		return list[i].QRCodeURI < list[j].QRCodeURI
	})
}
