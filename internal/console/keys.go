package console

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/view"
	"github.com/antomgw/antomgw/wire"
)

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
	v, ok := c.keyVersion(w, r, "activate")
	if !ok {
		return
	}
	if err := c.Service.ActivateGatewayKey(r.Context(), v); err != nil {
		st, fe := c.refused(err, "activate", "key version")
		c.keysPage(w, r, st, fe)
		return
	}
	redirect(w, r, "/console/keys", fmt.Sprintf("gateway key version %d is active: it signs from every node's next answer on", v), false)
}

// retireKey retires a published version.
func (c *Console) retireKey(w http.ResponseWriter, r *http.Request) {
	v, ok := c.keyVersion(w, r, "retire")
	if !ok {
		return
	}
	if err := c.Service.RetireGatewayKey(r.Context(), v); err != nil {
		st, fe := c.refused(err, "retire", "key version")
		c.keysPage(w, r, st, fe)
		return
	}
	redirect(w, r, "/console/keys", fmt.Sprintf("gateway key version %d retired", v), false)
}
