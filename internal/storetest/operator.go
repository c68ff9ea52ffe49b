package storetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
)

var (
	operatorKeyOnce sync.Once
	operatorKeyDER  []byte
)

// operatorKey is one RSA-2048 public key (SPKI DER) shared by the operator
// tests: generating keys is slow.
func operatorKey(tb testing.TB) []byte {
	tb.Helper()
	operatorKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err == nil {
			operatorKeyDER, _ = x509.MarshalPKIXPublicKey(&k.PublicKey)
		}
	})
	if operatorKeyDER == nil {
		tb.Fatal("cannot generate a test key")
	}
	return operatorKeyDER
}

// testOperator drives the operator's use cases (clients, gateway keys,
// payment listing, manual resolution, resend) over the store.
func testOperator(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()
	newService := func(t *testing.T) (*gateway.Service, *clock) {
		c := &clock{}
		return &gateway.Service{Store: newStore(t), Processor: fakeProcessor{c}, Now: c.Now,
			NotificationBody: func(kind gateway.NotificationKind, p *gateway.Payment, _ *gateway.Refund) ([]byte, error) {
				return []byte(`{"notifyType":"` + string(kind) + `","paymentId":"` + p.ID + `","paymentStatus":"` + string(p.Status) + `"}`), nil
			},
			GenerateKey: func() ([]byte, error) { // fast, distinct keys: parsing is what matters
				k, err := rsa.GenerateKey(rand.Reader, 1024)
				if err != nil {
					return nil, err
				}
				return x509.MarshalPKCS8PrivateKey(k)
			},
		}, c
	}
	wantKind := func(t *testing.T, what string, err error, k gateway.Kind, contains string) {
		t.Helper()
		if gateway.KindOf(err) != k || err == nil || !strings.Contains(err.Error(), contains) {
			t.Errorf("%s: error %v, want kind %d saying %q", what, err, k, contains)
		}
	}

	t.Run("Clients", func(t *testing.T) {
		svc, _ := newService(t)
		key := operatorKey(t)
		if _, err := svc.AddClient(ctx, gateway.NewClient{ID: "SHOP_1", NotifyURL: "https://shop.example/n", PublicKey: key}); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		_, err := svc.AddClient(ctx, gateway.NewClient{ID: "SHOP_1", PublicKey: key})
		wantKind(t, "AddClient of a taken id", err, gateway.KindConflict, "already registered")
		for _, c := range []struct {
			in    gateway.NewClient
			field string
		}{
			{gateway.NewClient{ID: "", PublicKey: key}, "clientId"},
			{gateway.NewClient{ID: strings.Repeat("C", 65), PublicKey: key}, "clientId"},
			{gateway.NewClient{ID: "SHOP 2", PublicKey: key}, "clientId"},
			{gateway.NewClient{ID: "SHOP_2", PublicKey: key, NotifyURL: "ftp://x"}, "notifyUrl"},
			{gateway.NewClient{ID: "SHOP_2", PublicKey: []byte("nope")}, "publicKey"},
			{gateway.NewClient{ID: "SHOP_2", PublicKey: key, KeyVersion: -1}, "keyVersion"},
		} {
			_, err := svc.AddClient(ctx, c.in)
			var ge *gateway.Error
			if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalid || ge.Field != c.field {
				t.Errorf("AddClient(%+v): %v, want KindInvalid for field %s", c.in.ID, err, c.field)
			}
		}
		if err := svc.AddClientKey(ctx, "SHOP_1", 2, key); err != nil {
			t.Fatalf("AddClientKey: %v", err)
		}
		wantKind(t, "AddClientKey of a taken version", svc.AddClientKey(ctx, "SHOP_1", 2, key), gateway.KindConflict, "already has key version 2")
		wantKind(t, "AddClientKey of an unknown client", svc.AddClientKey(ctx, "NOBODY", 1, key), gateway.KindNotFound, "not registered")
		if err := svc.RetireClientKey(ctx, "SHOP_1", 1, false); err != nil {
			t.Fatalf("RetireClientKey: %v", err)
		}
		wantKind(t, "RetireClientKey again", svc.RetireClientKey(ctx, "SHOP_1", 1, false), gateway.KindNotFound, "no active key version 1")
		wantKind(t, "RetireClientKey of the last active key", svc.RetireClientKey(ctx, "SHOP_1", 2, false), gateway.KindConflict, "last active key of client SHOP_1")
		if err := svc.RetireClientKey(ctx, "SHOP_1", 2, true); err != nil {
			t.Fatalf("RetireClientKey of the last active key with force: %v", err)
		}
		if err := svc.AddClientKey(ctx, "SHOP_1", 3, key); err != nil {
			t.Fatalf("AddClientKey after retiring every key: %v", err)
		}

		url := ""
		c, err := svc.UpdateClient(ctx, gateway.ClientUpdate{ID: "SHOP_1", NotifyURL: &url})
		if err != nil || c.NotifyURL != "" || len(c.Keys) != 3 {
			t.Errorf("UpdateClient clearing the notify URL = %+v, %v", c, err)
		}
		pin := 7
		_, err = svc.UpdateClient(ctx, gateway.ClientUpdate{ID: "SHOP_1", GatewayKeyVersion: &pin})
		wantKind(t, "pin to a missing gateway key", err, gateway.KindNotFound, "no published or active key version 7")
		_, err = svc.UpdateClient(ctx, gateway.ClientUpdate{ID: "NOBODY"})
		wantKind(t, "UpdateClient of an unknown client", err, gateway.KindNotFound, "not registered")
	})

	t.Run("GatewayKeys", func(t *testing.T) {
		svc, _ := newService(t)
		first, added, err := svc.EnsureGatewayKey(ctx)
		if err != nil || !added || first.Version != 1 || first.State != gateway.GatewayKeyActive || first.PublicKey == nil {
			t.Fatalf("EnsureGatewayKey = %+v, %v, %v", first, added, err)
		}
		k2, was, err := svc.RotateGatewayKey(ctx, false)
		if err != nil || k2.Version != 2 || k2.State != gateway.GatewayKeyPublished || was != 1 {
			t.Fatalf("RotateGatewayKey = %+v, %d, %v; want version 2 published, 1 active before", k2, was, err)
		}
		if active, _ := svc.GatewayKey(ctx, 0); active.Version != 1 {
			t.Errorf("active after a staged rotation = %d, want 1", active.Version)
		}
		if _, err := svc.AddClient(ctx, gateway.NewClient{ID: "PINNED", PublicKey: operatorKey(t)}); err != nil {
			t.Fatal(err)
		}
		one := 1
		if _, err := svc.UpdateClient(ctx, gateway.ClientUpdate{ID: "PINNED", GatewayKeyVersion: &one}); err != nil {
			t.Fatalf("pin: %v", err)
		}
		if err := svc.ActivateGatewayKey(ctx, 2); err != nil {
			t.Fatalf("ActivateGatewayKey: %v", err)
		}
		wantKind(t, "RetireGatewayKey of the active version", svc.RetireGatewayKey(ctx, 2), gateway.KindConflict, "is active")
		wantKind(t, "RetireGatewayKey of a pinned version", svc.RetireGatewayKey(ctx, 1), gateway.KindConflict, "pinned by PINNED")
		wantKind(t, "ActivateGatewayKey of a missing version", svc.ActivateGatewayKey(ctx, 9), gateway.KindNotFound, "no published key version 9")
		zero := 0
		if _, err := svc.UpdateClient(ctx, gateway.ClientUpdate{ID: "PINNED", GatewayKeyVersion: &zero}); err != nil {
			t.Fatal(err)
		}
		if err := svc.RetireGatewayKey(ctx, 1); err != nil {
			t.Fatalf("RetireGatewayKey: %v", err)
		}
		_, err = svc.GatewayKey(ctx, 1)
		wantKind(t, "GatewayKey of a retired version", err, gateway.KindInvalidTransition, "retired")
		keys, err := svc.GatewayKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].State != gateway.GatewayKeyRetired || keys[1].State != gateway.GatewayKeyActive {
			t.Errorf("GatewayKeys = %+v, %v", keys, err)
		}
		k3, _, err := svc.RotateGatewayKey(ctx, true)
		if err != nil || k3.State != gateway.GatewayKeyActive {
			t.Errorf("RotateGatewayKey(activate) = %+v, %v; want active at once", k3, err)
		}
	})

	pay := func(t *testing.T, svc *gateway.Service, client, requestID string, value int64) *gateway.Payment {
		t.Helper()
		res, err := svc.Pay(ctx, gateway.PayInput{ClientID: client, RequestID: requestID,
			ProductCode: gateway.ProductInStore, Scenario: gateway.ScenarioOrderCode, NotifyURL: "https://shop.example/n",
			Amount: gateway.Money{Value: value, Currency: "USD"}, MethodType: "CONNECT_WALLET"})
		if err != nil {
			t.Fatalf("Pay(%s): %v", requestID, err)
		}
		return res.Payment
	}

	t.Run("ListAndShow", func(t *testing.T) {
		svc, clk := newService(t)
		var ids []string
		for i, client := range []string{"A", "B", "A", "A", "B"} {
			ids = append(ids, pay(t, svc, client, "r"+string(rune('0'+i)), 100).ID)
			clk.Add(time.Second)
		}
		var got []string
		f := gateway.PaymentFilter{Limit: 2}
		for pages := 0; ; pages++ {
			page, err := svc.Payments(ctx, f)
			if err != nil {
				t.Fatalf("Payments: %v", err)
			}
			for _, p := range page.Payments {
				got = append(got, p.ID)
			}
			if page.Next == nil {
				break
			}
			c, err := gateway.ParsePaymentCursor(page.Next.String())
			if err != nil || pages > 5 {
				t.Fatalf("cursor %v: %v", page.Next, err)
			}
			f.After = c
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("paged listing = %v, want newest first %v", got, want)
		}
		_, err := svc.Payments(ctx, gateway.PaymentFilter{Status: "PAID"})
		wantKind(t, "an unknown status", err, gateway.KindInvalid, "PAID")

		d, err := svc.ShowPayment(ctx, gateway.PaymentRef{ClientID: "A", RequestID: "r2"})
		if err != nil || d.Payment.ID != ids[2] || len(d.Notifications) != 1 || d.Notifications[0].Notification.Kind != gateway.NotifyPayment {
			t.Fatalf("ShowPayment(A, r2) = %+v, %v; want payment %s with its notifyPayment", d, err, ids[2])
		}
		_, err = svc.ShowPayment(ctx, gateway.PaymentRef{PaymentID: "nope"})
		wantKind(t, "ShowPayment of an unknown id", err, gateway.KindNotFound, "no payment nope")
		_, err = svc.ShowPayment(ctx, gateway.PaymentRef{RequestID: "r2"})
		wantKind(t, "ShowPayment without a client", err, gateway.KindInvalid, "client id")
	})

	t.Run("Resolve", func(t *testing.T) {
		for _, c := range []struct {
			outcome      gateway.ResolveOutcome
			code, status string
		}{
			{gateway.ResolveSuccess, "SUCCESS", "SUCCESS"},
			{gateway.ResolveFail, "USER_BALANCE_NOT_ENOUGH", "FAIL"},
			{gateway.ResolveClose, "ORDER_IS_CLOSED", "FAIL"},
		} {
			svc, _ := newService(t)
			p := pay(t, svc, "A", "later", amountLater)
			if p.Status != gateway.PaymentProcessing {
				t.Fatalf("payment of %d is %s, want PROCESSING", amountLater, p.Status)
			}
			code := ""
			if c.outcome == gateway.ResolveFail {
				code = c.code
			}
			got, err := svc.ResolvePayment(ctx, gateway.PaymentRef{PaymentID: p.ID}, c.outcome, code, "")
			if err != nil || string(got.Status) != c.status || got.ResultCode != c.code {
				t.Fatalf("ResolvePayment(%s) = %+v, %v; want %s %s", c.outcome, got, err, c.status, c.code)
			}
			d, err := svc.ShowPayment(ctx, gateway.PaymentRef{PaymentID: p.ID})
			if err != nil || len(d.Notifications) != 1 || !strings.Contains(string(d.Notifications[0].Notification.Body), c.status) {
				t.Errorf("%s: notifications %+v, %v; want one notifyPayment saying %s", c.outcome, d.Notifications, err, c.status)
			}
			// Its delayed completion no longer happens: no job is left.
			if n, err := svc.RunJobs(ctx, 10); err != nil || n != 0 {
				t.Errorf("%s: RunJobs after the resolution = %d, %v; want nothing left to do", c.outcome, n, err)
			}
			_, err = svc.ResolvePayment(ctx, gateway.PaymentRef{PaymentID: p.ID}, gateway.ResolveSuccess, "", "")
			wantKind(t, "ResolvePayment of a final payment", err, gateway.KindInvalidTransition, "not PROCESSING")
		}
	})

	t.Run("Resend", func(t *testing.T) {
		svc, clk := newService(t)
		p := pay(t, svc, "A", "r", 100)
		d, _ := svc.ShowPayment(ctx, gateway.PaymentRef{PaymentID: p.ID})
		id := d.Notifications[0].Notification.ID
		if _, err := gateway.RecordAttempt(ctx, svc.Store, gateway.Attempt{NotificationID: id, At: clk.Now(), Outcome: gateway.OutcomeDelivered, HTTPStatus: 200}, nil); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Hour)
		n, err := svc.ResendNotification(ctx, id)
		if err != nil || n.State() != gateway.NotificationPending || !n.DueAt.Equal(clk.Now()) || n.Attempts != 1 {
			t.Errorf("ResendNotification = %+v, %v; want pending, due now, one attempt so far", n, err)
		}
		// A paymentId given where a notification id belongs: the answer
		// says where that payment's notifications are.
		_, err = svc.ShowNotification(ctx, p.ID)
		wantKind(t, "ShowNotification of a paymentId", err, gateway.KindNotFound, "notifications list --payment-id "+p.ID)
		_, err = svc.ShowNotification(ctx, "nothing-by-that-id")
		wantKind(t, "ShowNotification of an unknown id", err, gateway.KindNotFound, "no notification nothing-by-that-id")
	})
}
