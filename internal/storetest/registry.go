package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/google/go-cmp/cmp"
)

// keyBytes returns distinct key bytes that are not valid UTF-8 and hold a
// zero byte, so a store that treats keys as text is caught.
func keyBytes(n byte) []byte { return []byte{0x30, 0x82, 0x00, 0xff, n} }

func clientKey(clientID string, version int, created time.Time) gateway.ClientKey {
	return gateway.ClientKey{ClientID: clientID, Version: version, PublicKey: keyBytes(byte(version)), CreatedAt: created}
}

func loadRegistry(tb testing.TB, s gateway.Store) *gateway.Registry {
	tb.Helper()
	reg, err := s.LoadRegistry(context.Background())
	if err != nil {
		tb.Fatalf("LoadRegistry: %v", err)
	}
	return reg
}

func registryVersion(tb testing.TB, s gateway.Store) int64 {
	tb.Helper()
	v, err := s.RegistryVersion(context.Background())
	if err != nil {
		tb.Fatalf("RegistryVersion: %v", err)
	}
	return v
}

func testRegistry(t *testing.T, newStore func(t *testing.T) gateway.Store) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		s := newStore(t)
		reg := loadRegistry(t, s)
		if len(reg.Clients) != 0 || len(reg.GatewayKeys) != 0 {
			t.Errorf("LoadRegistry of an empty store = %+v, want no clients and no gateway keys", reg)
		}
		if v := registryVersion(t, s); reg.Version != v {
			t.Errorf("LoadRegistry().Version = %d, want RegistryVersion() %d", reg.Version, v)
		}
	})

	t.Run("AddClient", func(t *testing.T) {
		s := newStore(t)
		c := gateway.Client{ID: "client-a", NotifyURL: "https://a.example/notify", CreatedAt: at(0)}
		if err := s.AddClient(ctx, c, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		got := loadRegistry(t, s).Clients
		c.Keys = []gateway.ClientKey{clientKey("client-a", 1, at(0))}
		if diff := cmp.Diff([]gateway.Client{c}, got); diff != "" {
			t.Errorf("LoadRegistry().Clients mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("AddClientEmptyKeyClientID", func(t *testing.T) {
		s := newStore(t)
		key := clientKey("", 1, at(0))
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, key); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		got := loadRegistry(t, s).Clients
		if len(got) != 1 || len(got[0].Keys) != 1 || got[0].Keys[0].ClientID != "client-a" {
			t.Errorf("LoadRegistry().Clients = %+v, want client-a with one key of client-a", got)
		}
	})

	t.Run("ErrConflictDuplicateClient", func(t *testing.T) {
		s := newStore(t)
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", NotifyURL: "first", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		err := s.AddClient(ctx, gateway.Client{ID: "client-a", NotifyURL: "second", CreatedAt: at(time.Hour)}, clientKey("client-a", 2, at(time.Hour)))
		wantErr(t, "AddClient of a taken id", err, gateway.ErrConflict)
		got := loadRegistry(t, s).Clients
		if len(got) != 1 || got[0].NotifyURL != "first" || len(got[0].Keys) != 1 {
			t.Errorf("after a refused AddClient, Clients = %+v, want the first client with its one key", got)
		}
	})

	t.Run("UpdateClient", func(t *testing.T) {
		s := newStore(t)
		c := gateway.Client{ID: "client-a", NotifyURL: "https://a.example/notify", CreatedAt: at(0)}
		if err := s.AddClient(ctx, c, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		if err := s.AddClient(ctx, gateway.Client{ID: "client-b", Encrypted: true, CreatedAt: at(0)}, clientKey("client-b", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		// Only NotifyURL and Encrypted change; CreatedAt and keys stay.
		if err := s.UpdateClient(ctx, gateway.Client{ID: "client-a", NotifyURL: "https://a.example/v2", Encrypted: true, CreatedAt: at(time.Hour)}); err != nil {
			t.Fatalf("UpdateClient: %v", err)
		}
		want := []gateway.Client{
			{ID: "client-a", NotifyURL: "https://a.example/v2", Encrypted: true, CreatedAt: at(0), Keys: []gateway.ClientKey{clientKey("client-a", 1, at(0))}},
			{ID: "client-b", Encrypted: true, CreatedAt: at(0), Keys: []gateway.ClientKey{clientKey("client-b", 1, at(0))}},
		}
		if diff := cmp.Diff(want, loadRegistry(t, s).Clients); diff != "" {
			t.Errorf("Clients after UpdateClient mismatch (-want +got):\n%s", diff)
		}
		if err := s.UpdateClient(ctx, gateway.Client{ID: "client-b"}); err != nil {
			t.Fatalf("UpdateClient: %v", err)
		}
		if got := loadRegistry(t, s).Clients[1]; got.Encrypted || got.NotifyURL != "" {
			t.Errorf("client-b after clearing = %+v, want not encrypted, no notify URL", got)
		}
		wantErr(t, "UpdateClient of an unknown client", s.UpdateClient(ctx, gateway.Client{ID: "nobody"}), gateway.ErrNotFound)
	})

	t.Run("AddClientKey", func(t *testing.T) {
		s := newStore(t)
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		// Added out of order; read back by version.
		for _, v := range []int{3, 2} {
			if err := s.AddClientKey(ctx, clientKey("client-a", v, at(time.Duration(v)*time.Hour))); err != nil {
				t.Fatalf("AddClientKey(%d): %v", v, err)
			}
		}
		got := loadRegistry(t, s).Clients
		want := []gateway.Client{{ID: "client-a", CreatedAt: at(0), Keys: []gateway.ClientKey{
			clientKey("client-a", 1, at(0)),
			clientKey("client-a", 2, at(2*time.Hour)),
			clientKey("client-a", 3, at(3*time.Hour)),
		}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LoadRegistry().Clients mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ErrConflictDuplicateKeyVersion", func(t *testing.T) {
		s := newStore(t)
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		dup := clientKey("client-a", 1, at(time.Hour))
		dup.PublicKey = keyBytes(99)
		wantErr(t, "AddClientKey of a taken version", s.AddClientKey(ctx, dup), gateway.ErrConflict)
		got := loadRegistry(t, s).Clients[0].Keys
		if diff := cmp.Diff([]gateway.ClientKey{clientKey("client-a", 1, at(0))}, got); diff != "" {
			t.Errorf("after a refused AddClientKey, keys mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("ErrNotFoundUnknownClient", func(t *testing.T) {
		s := newStore(t)
		wantErr(t, "AddClientKey for an unknown client", s.AddClientKey(ctx, clientKey("nobody", 1, at(0))), gateway.ErrNotFound)
		if got := loadRegistry(t, s).Clients; len(got) != 0 {
			t.Errorf("after a refused AddClientKey, Clients = %+v, want none", got)
		}
	})

	t.Run("RetireClientKey", func(t *testing.T) {
		s := newStore(t)
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		if err := s.AddClientKey(ctx, clientKey("client-a", 2, at(time.Hour))); err != nil {
			t.Fatalf("AddClientKey: %v", err)
		}
		retired := at(2*time.Hour + 345*time.Millisecond)
		if err := s.RetireClientKey(ctx, "client-a", 1, retired); err != nil {
			t.Fatalf("RetireClientKey: %v", err)
		}
		keys := loadRegistry(t, s).Clients[0].Keys
		want := []gateway.ClientKey{clientKey("client-a", 1, at(0)), clientKey("client-a", 2, at(time.Hour))}
		want[0].RetiredAt = retired
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("keys after retiring version 1 mismatch (-want +got):\n%s", diff)
		}
		if keys[0].Active() || !keys[1].Active() {
			t.Errorf("Active() = %v, %v, want false, true", keys[0].Active(), keys[1].Active())
		}
		wantErr(t, "RetireClientKey of a retired key", s.RetireClientKey(ctx, "client-a", 1, at(3*time.Hour)), gateway.ErrNotFound)
		wantErr(t, "RetireClientKey of an unknown version", s.RetireClientKey(ctx, "client-a", 7, at(3*time.Hour)), gateway.ErrNotFound)
		wantErr(t, "RetireClientKey of an unknown client", s.RetireClientKey(ctx, "nobody", 1, at(3*time.Hour)), gateway.ErrNotFound)
		if got := loadRegistry(t, s).Clients[0].Keys[0].RetiredAt; !got.Equal(retired) {
			t.Errorf("RetiredAt after a second retire = %v, want the first %v", got, retired)
		}
	})

	t.Run("ClientsByID", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"client-b", "client-c", "client-a"} {
			if err := s.AddClient(ctx, gateway.Client{ID: id, CreatedAt: at(0)}, clientKey(id, 1, at(0))); err != nil {
				t.Fatalf("AddClient(%s): %v", id, err)
			}
		}
		var ids []string
		for _, c := range loadRegistry(t, s).Clients {
			ids = append(ids, c.ID)
			if len(c.Keys) != 1 || c.Keys[0].ClientID != c.ID {
				t.Errorf("client %s keys = %+v, want its own one key", c.ID, c.Keys)
			}
		}
		if diff := cmp.Diff([]string{"client-a", "client-b", "client-c"}, ids); diff != "" {
			t.Errorf("client order mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("GatewayKeyVersions", func(t *testing.T) {
		s := newStore(t)
		var want []gateway.GatewayKey
		for i := 1; i <= 3; i++ {
			created := at(time.Duration(i) * time.Hour)
			v, err := s.AddGatewayKey(ctx, keyBytes(byte(10+i)), created)
			if err != nil {
				t.Fatalf("AddGatewayKey: %v", err)
			}
			if v != i {
				t.Errorf("AddGatewayKey #%d = version %d, want %d", i, v, i)
			}
			want = append(want, gateway.GatewayKey{Version: i, PrivateKey: keyBytes(byte(10 + i)), CreatedAt: created})
		}
		if diff := cmp.Diff(want, loadRegistry(t, s).GatewayKeys); diff != "" {
			t.Errorf("GatewayKeys mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("Version", func(t *testing.T) {
		s := newStore(t)
		v := registryVersion(t, s)
		step := func(what string, write func() error) {
			t.Helper()
			if err := write(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			next := registryVersion(t, s)
			if next <= v {
				t.Errorf("RegistryVersion after %s = %d, want more than %d", what, next, v)
			}
			v = next
			// Reads do not move it.
			reg := loadRegistry(t, s)
			if reg.Version != v {
				t.Errorf("LoadRegistry().Version after %s = %d, want %d", what, reg.Version, v)
			}
			if again := registryVersion(t, s); again != v {
				t.Errorf("RegistryVersion after a read = %d, want %d", again, v)
			}
		}
		step("AddClient", func() error {
			return s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0)))
		})
		step("AddClientKey", func() error { return s.AddClientKey(ctx, clientKey("client-a", 2, at(time.Hour))) })
		step("UpdateClient", func() error {
			return s.UpdateClient(ctx, gateway.Client{ID: "client-a", NotifyURL: "https://a.example/v2", Encrypted: true})
		})
		step("RetireClientKey", func() error { return s.RetireClientKey(ctx, "client-a", 1, at(2*time.Hour)) })
		step("AddGatewayKey", func() error { _, err := s.AddGatewayKey(ctx, keyBytes(1), at(0)); return err })
		step("second AddGatewayKey", func() error { _, err := s.AddGatewayKey(ctx, keyBytes(2), at(time.Hour)); return err })
		step("second AddClient", func() error {
			return s.AddClient(ctx, gateway.Client{ID: "client-b", CreatedAt: at(0)}, clientKey("client-b", 1, at(0)))
		})
		// Payments are not registry writes, but they must not break it.
		insertPayments(t, s, newPayment("client-a", "req-1", "pay-1"))
		if got := registryVersion(t, s); got < v {
			t.Errorf("RegistryVersion after a payment = %d, want at least %d", got, v)
		}
	})
}
