package antomgw_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/antomgw/antomgw"
	"github.com/antomgw/antomgw/antomtest"
)

// TestRotatedGatewayKeyFailsAtOnce: when the gateway signs with a key
// version the client does not hold (it rotated), PayAndResolve stops after
// the pay with a *KeyVersionError naming the version and the command that
// gives it, instead of polling until its deadline and cancelling.
func TestRotatedGatewayKeyFailsAtOnce(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	rotated := antomtest.Reply{SignWith: antomtest.MerchantKey(), KeyVersion: 2}
	for _, api := range []string{"pay", "inquiryPayment", "cancel"} {
		srv.Handle(api, func(antomtest.Request) antomtest.Reply { return rotated })
	}
	c := newClient(t, srv.URL, fastRetries())
	res, err := c.PayAndResolve(context.Background(), inStorePay("ROT", "100"), nil)
	var ke *antomgw.KeyVersionError
	if !errors.As(err, &ke) || ke.Version != 2 || !errors.Is(err, antomgw.ErrUnverified) {
		t.Fatalf("PayAndResolve err = %v, want a *KeyVersionError for version 2 wrapping ErrUnverified", err)
	}
	for _, want := range []string{"gateway key version 2", "antomgw keys export --key-version 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to say %q", err, want)
		}
	}
	if res == nil || res.Outcome != antomgw.OutcomeUnresolved || res.Inquiries != 0 || res.CancelAttempts != 0 {
		t.Errorf("resolution = %+v, want unresolved with no inquiry and no cancel", res)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: nothing can verify until the key is installed", n)
	}

	// ResolvePayment stops after its first inquiry the same way.
	res, err = c.ResolvePayment(context.Background(), "ROT", nil)
	if !errors.As(err, &ke) || res.Inquiries != 1 || res.CancelAttempts != 0 {
		t.Errorf("ResolvePayment = %+v, %v; want one inquiry and a *KeyVersionError", res, err)
	}
}

// TestGatewayKeyOfUnknownVersion: GatewayKeys[0] verifies answers of any
// version the map does not list, as the official SDKs' one key does; when
// it does not verify, the error is a *KeyVersionError saying so.
func TestGatewayKeyOfUnknownVersion(t *testing.T) {
	srv := antomtest.NewServer()
	defer srv.Close()
	gw := &antomtest.GatewayKey().PublicKey
	c := newClient(t, srv.URL, fastRetries(), func(cfg *antomgw.Config) {
		cfg.GatewayKeys = map[int]*rsa.PublicKey{0: gw}
	})
	srv.Script("pay", antomtest.Reply{KeyVersion: 5})
	if _, err := c.Pay(context.Background(), inStorePay("ANY1", "100")); err != nil {
		t.Fatalf("Pay with an answer of version 5 and GatewayKeys[0] = %v, want it verified", err)
	}
	srv.Script("pay", antomtest.Reply{KeyVersion: 5, SignWith: antomtest.MerchantKey()})
	_, err := c.Pay(context.Background(), inStorePay("ANY2", "100"))
	var ke *antomgw.KeyVersionError
	if !errors.As(err, &ke) || ke.Version != 5 || !ke.UnknownTried || !strings.Contains(err.Error(), "the key given without a version does not verify it") {
		t.Fatalf("Pay with another key = %v, want a *KeyVersionError for version 5 saying GatewayKeys[0] was tried", err)
	}

	// An explicit version wins over the key of unknown version.
	c = newClient(t, srv.URL, fastRetries(), func(cfg *antomgw.Config) {
		cfg.GatewayKeys = map[int]*rsa.PublicKey{0: &antomtest.MerchantKey().PublicKey, 1: gw}
	})
	if _, err := c.Pay(context.Background(), inStorePay("ANY3", "100")); err != nil {
		t.Fatalf("Pay with version 1 listed = %v, want it verified with version 1", err)
	}
}
