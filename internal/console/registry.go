package console

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

type clientsData struct {
	Clients []clientView
	// Pins are the gateway key versions a client may be pinned to
	// (published and active).
	Pins []int
	// Form is the add-client form as it was sent, for a refused one; the
	// public key is never sent back.
	Form clientForm
}

type clientForm struct {
	ID, NotifyURL string
	Encrypted     bool
	KeyVersion    int
}

type clientView struct {
	ID, NotifyURL string
	Encrypted     bool
	Pin           int
	Created       stamp
	Keys          []clientKeyRow
	NextVersion   int
}

type clientKeyRow struct {
	Version              int
	State, Fingerprint   string
	Active               bool
	Created, RetiredTime stamp
}

func (c *Console) clients(w http.ResponseWriter, r *http.Request) {
	c.clientsPage(w, r, http.StatusOK, nil, clientForm{KeyVersion: 1})
}

// clientsPage renders the clients page with status, and fe above it when
// an action was refused.
func (c *Console) clientsPage(w http.ResponseWriter, r *http.Request, status int, fe *formError, form clientForm) {
	clients, err := c.Service.Clients(r.Context())
	if err != nil {
		st, e := c.refused(err, "clients", "")
		c.fail(w, r, st, e.Message)
		return
	}
	d := clientsData{Form: form}
	if keys, err := c.Service.GatewayKeys(r.Context()); err == nil {
		for _, k := range keys {
			if k.State != gateway.GatewayKeyRetired {
				d.Pins = append(d.Pins, k.Version)
			}
		}
	} else {
		c.log().Error("console: gateway keys", "err", err)
	}
	now := c.now()
	for i := range clients {
		cl := &clients[i]
		v := view.NewClient(cl)
		cv := clientView{ID: v.ClientID, NotifyURL: v.NotifyURL, Encrypted: v.Encrypted, Pin: v.GatewayKeyVersion,
			Created: stampOf(v.CreatedAt, now), NextVersion: 1}
		for _, k := range v.Keys {
			cv.Keys = append(cv.Keys, clientKeyRow{Version: k.Version, State: k.State, Fingerprint: k.Fingerprint,
				Active: k.RetiredAt.IsZero(), Created: stampOf(k.CreatedAt, now), RetiredTime: stampOf(k.RetiredAt, now)})
			cv.NextVersion = max(cv.NextVersion, k.Version+1)
		}
		d.Clients = append(d.Clients, cv)
	}
	c.render(w, r, status, "clients", &page{Title: "Clients", Nav: "clients", Data: d, Err: fe, Back: "/console/clients"})
}

// privateKeyRefusal is said, and nothing else, when a private key is
// pasted where a public key belongs: the key is neither kept, logged nor
// shown again.
const privateKeyRefusal = "that is a PRIVATE key. Paste only the public half (openssl pkey -in key.pem -pubout, a PEM \"PUBLIC KEY\"); the private key was not stored, logged or shown, but treat it as exposed if it travelled somewhere it should not have"

// readPublicKey reads a pasted public key (PEM "PUBLIC KEY", or the other
// forms wire.ParsePublicKey takes) and returns its SubjectPublicKeyInfo
// DER. A private key is refused without repeating it.
func readPublicKey(action, text string) ([]byte, *formError) {
	data := []byte(strings.TrimSpace(text))
	if len(data) == 0 {
		return nil, invalid(action, "public key", "paste the client's RSA public key (PEM \"PUBLIC KEY\")")
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return nil, invalid(action, "public key", "%s", privateKeyRefusal)
	}
	pub, err := wire.ParsePublicKey(data)
	if err != nil {
		if _, perr := wire.ParsePrivateKey(data); perr == nil {
			return nil, invalid(action, "public key", "%s", privateKeyRefusal)
		}
		// wire's messages say what was found, never the key material.
		return nil, invalid(action, "public key", "%s", strings.TrimPrefix(err.Error(), "wire: "))
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, invalid(action, "public key", "the key cannot be encoded: %v", err)
	}
	return der, nil
}

func formInt(r *http.Request, name string, def int) (int, bool) {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// addClient registers a client with its first public key.
func (c *Console) addClient(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	form := clientForm{ID: strings.TrimSpace(r.PostFormValue("clientId")), NotifyURL: strings.TrimSpace(r.PostFormValue("notifyUrl")),
		Encrypted: r.PostFormValue("encrypted") != ""}
	v, ok := formInt(r, "keyVersion", 1)
	form.KeyVersion = v
	if !ok {
		c.clientsPage(w, r, http.StatusBadRequest, invalid("add client", "key version", "%q is not a whole number", r.PostFormValue("keyVersion")), form)
		return
	}
	der, fe := readPublicKey("add client", r.PostFormValue("publicKey"))
	if fe != nil {
		c.clientsPage(w, r, http.StatusBadRequest, fe, form)
		return
	}
	cl, err := c.Service.AddClient(r.Context(), gateway.NewClient{ID: form.ID, NotifyURL: form.NotifyURL, Encrypted: form.Encrypted,
		PublicKey: der, KeyVersion: form.KeyVersion})
	if err != nil {
		st, fe := c.refused(err, "add client", "client id")
		c.clientsPage(w, r, st, fe, form)
		return
	}
	redirect(w, r, "/console/clients", fmt.Sprintf("client %s added with key version %d (%s)", cl.ID, cl.Keys[0].Version, fingerprintDER(der)), false)
}

func fingerprintDER(der []byte) string {
	pub, err := gateway.ParsePublicKeyDER(der)
	if err != nil {
		return "?"
	}
	return wire.Fingerprint(pub)
}

// updateClient changes a client's notify URL, encryption and gateway key
// pin: the form always sends all three.
func (c *Console) updateClient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !c.parseForm(w, r) {
		return
	}
	notify := strings.TrimSpace(r.PostFormValue("notifyUrl"))
	encrypted := r.PostFormValue("encrypted") != ""
	pin, ok := formInt(r, "gatewayKeyVersion", 0)
	if !ok {
		c.clientsPage(w, r, http.StatusBadRequest, invalid("update "+id, "gateway key", "%q is not a key version", r.PostFormValue("gatewayKeyVersion")), clientForm{KeyVersion: 1})
		return
	}
	if _, err := c.Service.Client(r.Context(), id); err != nil {
		st, fe := c.refused(err, "update "+id, "client")
		c.clientsPage(w, r, st, fe, clientForm{KeyVersion: 1})
		return
	}
	cl, err := c.Service.UpdateClient(r.Context(), gateway.ClientUpdate{ID: id, NotifyURL: &notify, Encrypted: &encrypted, GatewayKeyVersion: &pin})
	if err != nil {
		// The client exists (above), so a missing record is the pinned
		// gateway key version.
		field := "notify URL"
		if gateway.KindOf(err) == gateway.KindNotFound {
			field = "gateway key"
		}
		st, fe := c.refused(err, "update "+id, field)
		c.clientsPage(w, r, st, fe, clientForm{KeyVersion: 1})
		return
	}
	pinText := "the active version"
	if cl.GatewayKeyVersion != 0 {
		pinText = fmt.Sprintf("version %d (pinned)", cl.GatewayKeyVersion)
	}
	redirect(w, r, "/console/clients", fmt.Sprintf("client %s: notify URL %q, encrypted %v, gateway key %s", cl.ID, cl.NotifyURL, cl.Encrypted, pinText), false)
}

// addClientKey adds a public key version to a client.
func (c *Console) addClientKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !c.parseForm(w, r) {
		return
	}
	action := "add a key to " + id
	v, ok := formInt(r, "keyVersion", 0)
	if !ok || v <= 0 {
		c.clientsPage(w, r, http.StatusBadRequest, invalid(action, "key version", "%q is not a positive whole number", r.PostFormValue("keyVersion")), clientForm{KeyVersion: 1})
		return
	}
	der, fe := readPublicKey(action, r.PostFormValue("publicKey"))
	if fe != nil {
		c.clientsPage(w, r, http.StatusBadRequest, fe, clientForm{KeyVersion: 1})
		return
	}
	if err := c.Service.AddClientKey(r.Context(), id, v, der); err != nil {
		st, fe := c.refused(err, action, "key version")
		c.clientsPage(w, r, st, fe, clientForm{KeyVersion: 1})
		return
	}
	redirect(w, r, "/console/clients", fmt.Sprintf("client %s: key version %d added (%s)", id, v, fingerprintDER(der)), false)
}

// retireClientKey retires a client key version.
func (c *Console) retireClientKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	action := "retire a key of " + id
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil {
		c.clientsPage(w, r, http.StatusNotFound, invalid(action, "key version", "%q is not a key version", r.PathValue("v")), clientForm{KeyVersion: 1})
		return
	}
	if err := c.Service.RetireClientKey(r.Context(), id, v, false); err != nil {
		st, fe := c.refused(err, action, "key version")
		c.clientsPage(w, r, st, fe, clientForm{KeyVersion: 1})
		return
	}
	redirect(w, r, "/console/clients", fmt.Sprintf("client %s: key version %d retired", id, v), false)
}

type keysData struct {
	Keys []gatewayKeyRow
}

type gatewayKeyRow struct {
	Version                            int
	State, Fingerprint                 string
	Created, Activated, Retired        stamp
	Pinned                             []string
	CanActivate, CanRetire, Exportable bool
}

// keys lists the gateway's key versions: never their private halves.
func (c *Console) keys(w http.ResponseWriter, r *http.Request) {
	c.keysPage(w, r, http.StatusOK, nil)
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, status int, fe *formError) {
	keys, err := c.Service.GatewayKeys(r.Context())
	if err != nil {
		st, e := c.refused(err, "keys", "")
		c.fail(w, r, st, e.Message)
		return
	}
	now := c.now()
	var d keysData
	for i := range keys {
		v := view.NewGatewayKey(&keys[i])
		d.Keys = append(d.Keys, gatewayKeyRow{Version: v.Version, State: v.State, Fingerprint: v.Fingerprint,
			Created: stampOf(v.CreatedAt, now), Activated: stampOf(v.ActivatedAt, now), Retired: stampOf(v.RetiredAt, now),
			Pinned:      v.PinnedClients,
			CanActivate: keys[i].State == gateway.GatewayKeyPublished,
			CanRetire:   keys[i].State == gateway.GatewayKeyPublished && len(v.PinnedClients) == 0,
			Exportable:  keys[i].State != gateway.GatewayKeyRetired})
	}
	c.render(w, r, status, "keys", &page{Title: "Gateway keys", Nav: "keys", Data: d, Err: fe, Back: "/console/keys"})
}

func publicPEM(k *gateway.GatewayKeyInfo) ([]byte, error) {
	return wire.MarshalPublicKeyPEM(k.PublicKey)
}

func attachment(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(b)
}

// keyPEM serves one version's public key, /console/keys/{v}.pem.
func (c *Console) keyPEM(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	vs, ok := strings.CutSuffix(file, ".pem")
	v, err := strconv.Atoi(vs)
	if !ok || err != nil || v <= 0 {
		c.fail(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+"; a key is at /console/keys/<version>.pem.")
		return
	}
	k, err := c.Service.GatewayKey(r.Context(), v)
	if err != nil {
		st, fe := c.refused(err, "download", "key version")
		c.fail(w, r, st, fe.Message)
		return
	}
	b, err := publicPEM(k)
	if err != nil {
		c.fail(w, r, http.StatusInternalServerError, "The key could not be encoded.")
		return
	}
	attachment(w, fmt.Sprintf("antomgw-gateway-key-v%d.pem", v), b)
}

// keysPEM serves every published and active version's public key, each
// after a comment line naming its version and state.
func (c *Console) keysPEM(w http.ResponseWriter, r *http.Request) {
	keys, err := c.Service.GatewayKeys(r.Context())
	if err != nil {
		st, fe := c.refused(err, "download", "")
		c.fail(w, r, st, fe.Message)
		return
	}
	var buf bytes.Buffer
	for i := range keys {
		k := &keys[i]
		if k.State == gateway.GatewayKeyRetired {
			continue
		}
		b, err := publicPEM(k)
		if err != nil {
			c.fail(w, r, http.StatusInternalServerError, "A key could not be encoded.")
			return
		}
		fmt.Fprintf(&buf, "# antomgw gateway key version %d (%s) %s\n", k.Version, k.State, wire.Fingerprint(k.PublicKey))
		buf.Write(b)
	}
	attachment(w, "antomgw-gateway-keys.pem", buf.Bytes())
}

// rotateKey creates the next gateway key version, published or active.
func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request) {
	if !c.parseForm(w, r) {
		return
	}
	created, was, err := c.Service.RotateGatewayKey(r.Context(), r.PostFormValue("activate") != "")
	if err != nil {
		st, fe := c.refused(err, "rotate", "")
		c.keysPage(w, r, st, fe)
		return
	}
	msg := fmt.Sprintf("gateway key version %d created, %s (version %d was active)", created.Version, created.State, was)
	redirect(w, r, "/console/keys", msg, false)
}

func (c *Console) keyVersion(w http.ResponseWriter, r *http.Request, action string) (int, bool) {
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || v <= 0 {
		c.keysPage(w, r, http.StatusNotFound, invalid(action, "key version", "%q is not a key version", r.PathValue("v")))
		return 0, false
	}
	return v, true
}

// activateKey makes a published version the active one.
func (c *Console) activateKey(w http.ResponseWriter, r *http.Request) {
	c.keyAction(w, r, "activate", c.Service.ActivateGatewayKey, "gateway key version %d is active: it signs from every node's next answer on")
}

// retireKey retires a published version.
func (c *Console) retireKey(w http.ResponseWriter, r *http.Request) {
	c.keyAction(w, r, "retire", c.Service.RetireGatewayKey, "gateway key version %d retired")
}

// keyAction runs do on the gateway key version in the path and goes back
// to the keys page saying done.
func (c *Console) keyAction(w http.ResponseWriter, r *http.Request, action string, do func(context.Context, int) error, done string) {
	v, ok := c.keyVersion(w, r, action)
	if !ok {
		return
	}
	if err := do(r.Context(), v); err != nil {
		st, fe := c.refused(err, action, "key version")
		c.keysPage(w, r, st, fe)
		return
	}
	redirect(w, r, "/console/keys", fmt.Sprintf(done, v), false)
}
