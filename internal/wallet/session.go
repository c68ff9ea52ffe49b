package wallet

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
)

// SessionURL returns the checkout page of a payment session:
// PublicURL/wallet/session/<paymentSessionId>/<token>. It is what the
// gateway's Service.SessionURL is set to, so the session's normalUrl opens
// it. It is safe for concurrent use.
func (p *Pages) SessionURL(s *gateway.PaymentSession) string {
	return strings.TrimSuffix(p.PublicURL, "/") + "/wallet/session/" + url.PathEscape(s.ID) + "/" + p.sessionToken(s.ID)
}

// LogoURL returns where the logo called name is served,
// PublicURL/wallet/static/logos/<name>.svg: what the gateway's
// Service.LogoURL is set to, for consult's logoUrl.
func (p *Pages) LogoURL(name string) string {
	return strings.TrimSuffix(p.PublicURL, "/") + logoPath(name)
}

func logoPath(name string) string { return "/wallet/static/logos/" + url.PathEscape(name) + ".svg" }

// sessionToken is the token of a session's page: like a checkout token,
// with its own label, so one never opens the other.
func (p *Pages) sessionToken(id string) string {
	m := hmac.New(sha256.New, p.secret())
	m.Write([]byte("session\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:tokenLen]
}

// sessionPath splits /wallet/session/{id}/{token}.
func sessionPath(path string) (id, token string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/wallet/session/")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 2 || parts[0] == "" || len(parts[0]) > 64 || parts[1] == "" || len(parts[1]) > 64 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// session returns the session id names, with its payment, when token is
// its page's token; errLink otherwise. The token is compared with the one
// in the session's stored URL, in constant time.
func (p *Pages) session(r *http.Request, id, token string) (*gateway.SessionResult, error) {
	res, err := p.Service.FindSession(r.Context(), "", id)
	if gateway.KindOf(err) == gateway.KindNotFound {
		return nil, errLink
	}
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(res.Session.URL)
	if err != nil {
		return nil, errLink
	}
	want, ok := strings.CutPrefix(u.Path, "/wallet/session/"+id+"/")
	if !ok || want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return nil, errLink
	}
	return res, nil
}

// sessionPage serves a session's checkout page: the methods the buyer may
// choose from while the session is open, else what became of it. Reading
// it changes nothing.
func (p *Pages) sessionPage(w http.ResponseWriter, r *http.Request, id, token string) {
	res, err := p.session(r, id, token)
	if err != nil {
		p.lookupFailed(w, r, id, err)
		return
	}
	v, err := p.sessionData(r, res, "")
	if err != nil {
		p.log().Error("wallet: session options", "session_id", id, "err", err)
		p.serverError(w, r)
		return
	}
	p.render(w, r, http.StatusOK, "session", v)
}

// sessionDecide takes the session page's form: action=pay or decline, the
// chosen method, and for a decline a reason code. The payment is created
// and decided (gateway.Service.PaySession); the answer is a 303 to the
// shop's paymentRedirectUrl, or to the page when there is none or the
// session could not be paid (expired, or paid already: the page says how).
func (p *Pages) sessionDecide(w http.ResponseWriter, r *http.Request) {
	id, token, _ := sessionPath(r.URL.Path)
	res, err := p.session(r, id, token)
	if err != nil {
		p.lookupFailed(w, r, id, err)
		return
	}
	in := gateway.SessionPayInput{ClientID: res.Session.ClientID, SessionID: res.Session.ID}
	var ok bool
	if in.Outcome, in.Code, in.Message, ok = p.decision(w, r); !ok {
		return
	}
	in.MethodType = r.PostForm.Get("method")
	page := "/wallet/session/" + url.PathEscape(id) + "/" + token
	if res.Payment == nil && res.State == gateway.SessionActive && in.MethodType == "" {
		p.badRequest(w, r, "method", "Choose a payment method.")
		return
	}
	done, err := p.Service.PaySession(r.Context(), in)
	switch {
	case err == nil && done.Throttled:
		v, derr := p.sessionData(r, done, "The wallet is busy: nothing was paid. Submit again in a moment.")
		if derr != nil {
			p.log().Error("wallet: session options", "session_id", id, "err", derr)
			p.serverError(w, r)
			return
		}
		w.Header().Set("Retry-After", "1")
		p.render(w, r, http.StatusServiceUnavailable, "session", v)
	case err == nil:
		if shop := shopURL(res.Session.RedirectURL); shop != "" && done.Payment != nil {
			redirect(w, shop, http.StatusSeeOther)
			return
		}
		redirect(w, page, http.StatusSeeOther)
	case gateway.KindOf(err) == gateway.KindInvalid:
		var ge *gateway.Error
		errors.As(err, &ge)
		field := ge.Field
		if field == "paymentMethodType" {
			field = "method"
		}
		p.badRequest(w, r, field, ge.Message)
	case gateway.KindOf(err) == gateway.KindNotFound:
		p.linkNotValid(w, r)
	default:
		p.log().Error("wallet: pay session", "session_id", id, "action", r.PostForm.Get("action"), "err", err)
		p.serverError(w, r)
	}
}

// methodView is one payment method on the session page.
type methodView struct {
	Type, Category string
	Logo           string // the img src
	Enabled        bool
	Checked        bool
	Preferred      bool
	DisableReason  string
	Brands         string // a CARD option's schemes, "VISA, MASTERCARD"
}

// sessionView is what the session template shows.
type sessionView struct {
	Title    string
	ID       string
	Merchant string
	Order    string
	Amount   string
	Scene    string
	Notice   string // why the last submit did nothing

	Open      bool // ACTIVE: the form is shown
	Methods   []methodView
	ExpiresAt string // RFC 3339, UTC
	ExpiresIn string
	Remaining int64
	Reasons   []reason

	Expired bool

	// Once the buyer submitted: the payment and how it ended.
	PaymentID   string
	Method      string
	Status      string
	StatusClass string
	Outcome     string
	Code        string
	Detail      string
	ReturnURL   string
	PaymentLink string // the payment's own checkout page, while it is PROCESSING
}

func (p *Pages) sessionData(r *http.Request, res *gateway.SessionResult, notice string) (sessionView, error) {
	sess := res.Session
	v := sessionView{Title: "Pay " + view.FormatMoney(sess.Amount), ID: sess.ID, Merchant: sess.ClientID,
		Order: sess.ReferenceID, Amount: view.FormatMoney(sess.Amount), Scene: sess.ProductScene, Notice: notice}
	if v.Order == "" {
		v.Order = "—"
	}
	if sess.OrderDescription != "" {
		v.Order += " · " + sess.OrderDescription
	}
	state := res.State
	if res.Payment == nil && sess.Expired(p.now()) {
		state = gateway.SessionExpired // on the page's clock
	}
	switch {
	case res.Payment != nil:
		pay := res.Payment
		v.PaymentID, v.Method, v.Status = pay.ID, pay.MethodType, string(pay.Status)
		v.StatusClass = "status-" + strings.ToLower(string(pay.Status))
		v.ReturnURL = shopURL(sess.RedirectURL)
		if pay.Status == gateway.PaymentProcessing {
			v.Title, v.Outcome = "Processing", "Processing"
			v.Detail = "The payment was submitted and is being processed."
			v.PaymentLink = pay.ActionURL
		} else {
			v.Outcome, v.Code, v.Detail = outcome(pay)
			v.Title = v.Outcome
		}
	case state == gateway.SessionExpired:
		v.Title, v.Expired = "Expired", true
	default:
		v.Open, v.Reasons = true, declineReasons
		left := sess.ExpiresAt.Sub(p.now())
		v.ExpiresAt = sess.ExpiresAt.UTC().Format(time.RFC3339Nano)
		v.ExpiresIn = "Expires in " + countdown(left)
		v.Remaining = int64(left / time.Second)
		opts, err := p.Service.SessionOptions(r.Context(), sess)
		if err != nil {
			return v, err
		}
		checked := false
		for _, o := range opts {
			m := methodView{Type: o.MethodType, Category: o.Category, Enabled: o.Enabled, Preferred: o.Preferred,
				DisableReason: o.DisableReason}
			if o.Logo != "" {
				m.Logo = logoPath(o.Logo)
			}
			var brands []string
			for _, b := range o.CardBrands {
				brands = append(brands, b.Brand)
			}
			m.Brands = strings.Join(brands, ", ")
			if o.Enabled && !checked {
				m.Checked, checked = true, true
			}
			v.Methods = append(v.Methods, m)
		}
	}
	return v, nil
}
