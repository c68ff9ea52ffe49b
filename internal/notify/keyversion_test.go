package notify_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/notify"
	"github.com/antomgw/antomgw/wire"
)

// TestNotificationGatewayKeyVersion: a notification is signed with the
// gateway key of its client: the version the client is pinned to, else the
// active one; a published version signs nothing until it is activated.
func TestNotificationGatewayKeyVersion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	key2, err := wire.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key2)
	if _, err := f.store.AddGatewayKey(ctx, der, f.clock.Now(), false); err != nil {
		t.Fatal(err)
	}
	clientKey, _ := x509.MarshalPKIXPublicKey(&key2.PublicKey)
	if err := f.store.AddClient(ctx, gateway.Client{ID: "C1", CreatedAt: f.clock.Now()},
		gateway.ClientKey{ClientID: "C1", Version: 1, PublicKey: clientKey, CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	gw := map[int]*rsa.PublicKey{1: f.pub, 2: &key2.PublicKey}

	var mu sync.Mutex
	versions := map[string]int{} // paymentId → keyVersion that verified
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sh, err := wire.ParseSignatureHeader(r.Header.Get("signature"))
		if err != nil || gw[sh.KeyVersion] == nil ||
			wire.Verify(gw[sh.KeyVersion], wire.SigningContent(r.Method, r.URL.RequestURI(), r.Header.Get("client-id"), r.Header.Get("request-time"), body), sh.Signature) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		versions[r.URL.Query().Get("n")] = sh.KeyVersion
		mu.Unlock()
		ack(w)
	}))
	defer srv.Close()
	w := f.worker(&notify.Worker{Schedule: gateway.FastSchedule, AllowPrivate: true})
	deliver := func(id string) int {
		t.Helper()
		f.clock.Advance(time.Minute)
		f.enqueue(t, id, srv.URL+"/notify?n="+id, `{"notifyType":"PAYMENT_RESULT"}`)
		f.deliverDue(t, w, 1)
		if f.notification(t, id).DeliveredAt.IsZero() {
			t.Fatalf("%s not delivered on its first attempt", id)
		}
		mu.Lock()
		defer mu.Unlock()
		return versions[id]
	}

	if v := deliver("N1"); v != 1 {
		t.Errorf("with version 2 published: notification signed with version %d, want 1 (the active one)", v)
	}
	if err := f.store.ActivateGatewayKey(ctx, 2, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if v := deliver("N2"); v != 2 {
		t.Errorf("after activating version 2: notification signed with version %d, want 2", v)
	}
	if err := f.store.UpdateClient(ctx, gateway.Client{ID: "C1", GatewayKeyVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if v := deliver("N3"); v != 1 {
		t.Errorf("client pinned to version 1: notification signed with version %d, want 1", v)
	}
}
