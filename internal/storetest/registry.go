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
	return must(tb, "LoadRegistry", reg, err)
}

func registryVersion(tb testing.TB, s gateway.Store) int64 {
	tb.Helper()
	v, err := s.RegistryVersion(context.Background())
	return must(tb, "RegistryVersion", v, err)
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
			v, err := s.AddGatewayKey(ctx, keyBytes(byte(10+i)), created, false)
			if err != nil {
				t.Fatalf("AddGatewayKey: %v", err)
			}
			if v != i {
				t.Errorf("AddGatewayKey #%d = version %d, want %d", i, v, i)
			}
			k := gateway.GatewayKey{Version: i, PrivateKey: keyBytes(byte(10 + i)), State: gateway.GatewayKeyPublished, CreatedAt: created}
			if i == 1 {
				// The first key is active: nothing else could sign.
				k.State, k.ActivatedAt = gateway.GatewayKeyActive, created
			}
			want = append(want, k)
		}
		if diff := cmp.Diff(want, loadRegistry(t, s).GatewayKeys); diff != "" {
			t.Errorf("GatewayKeys mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("GatewayKeyStates", func(t *testing.T) {
		s := newStore(t)
		states := func() map[int]gateway.GatewayKeyState {
			t.Helper()
			out := map[int]gateway.GatewayKeyState{}
			for _, k := range loadRegistry(t, s).GatewayKeys {
				out[k.Version] = k.State
			}
			return out
		}
		want := func(what string, w map[int]gateway.GatewayKeyState) {
			t.Helper()
			if diff := cmp.Diff(w, states()); diff != "" {
				t.Errorf("states after %s mismatch (-want +got):\n%s", what, diff)
			}
		}
		key := func(version int) gateway.GatewayKey {
			t.Helper()
			for _, k := range loadRegistry(t, s).GatewayKeys {
				if k.Version == version {
					return k
				}
			}
			t.Fatalf("gateway key version %d is missing", version)
			return gateway.GatewayKey{}
		}
		const pub, act, ret = gateway.GatewayKeyPublished, gateway.GatewayKeyActive, gateway.GatewayKeyRetired
		for i := 1; i <= 3; i++ {
			if _, err := s.AddGatewayKey(ctx, keyBytes(byte(i)), at(time.Duration(i)*time.Hour), false); err != nil {
				t.Fatalf("AddGatewayKey: %v", err)
			}
		}
		want("three AddGatewayKey", map[int]gateway.GatewayKeyState{1: act, 2: pub, 3: pub})

		if err := s.ActivateGatewayKey(ctx, 2, at(4*time.Hour)); err != nil {
			t.Fatalf("ActivateGatewayKey(2): %v", err)
		}
		want("ActivateGatewayKey(2)", map[int]gateway.GatewayKeyState{1: pub, 2: act, 3: pub})
		if got := key(2).ActivatedAt; !got.Equal(at(4 * time.Hour)) {
			t.Errorf("version 2 ActivatedAt = %v, want %v", got, at(4*time.Hour))
		}
		if err := s.ActivateGatewayKey(ctx, 2, at(5*time.Hour)); err != nil {
			t.Errorf("ActivateGatewayKey of the active version: %v, want nil", err)
		}
		wantErr(t, "ActivateGatewayKey of a missing version", s.ActivateGatewayKey(ctx, 9, at(5*time.Hour)), gateway.ErrNotFound)
		wantErr(t, "RetireGatewayKey of the active version", s.RetireGatewayKey(ctx, 2, at(5*time.Hour)), gateway.ErrConflict)
		wantErr(t, "RetireGatewayKey of a missing version", s.RetireGatewayKey(ctx, 9, at(5*time.Hour)), gateway.ErrNotFound)

		// A pin holds its version against retirement until it is lifted.
		if err := s.AddClient(ctx, gateway.Client{ID: "client-a", CreatedAt: at(0)}, clientKey("client-a", 1, at(0))); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		if err := s.UpdateClient(ctx, gateway.Client{ID: "client-a", GatewayKeyVersion: 1}); err != nil {
			t.Fatalf("UpdateClient pinning version 1: %v", err)
		}
		if got := loadRegistry(t, s).Clients[0].GatewayKeyVersion; got != 1 {
			t.Errorf("GatewayKeyVersion after the pin = %d, want 1", got)
		}
		wantErr(t, "RetireGatewayKey of a pinned version", s.RetireGatewayKey(ctx, 1, at(5*time.Hour)), gateway.ErrConflict)
		wantErr(t, "UpdateClient pinning a missing version", s.UpdateClient(ctx, gateway.Client{ID: "client-a", GatewayKeyVersion: 9}), gateway.ErrNotFound)
		if err := s.UpdateClient(ctx, gateway.Client{ID: "client-a"}); err != nil {
			t.Fatalf("UpdateClient unpinning: %v", err)
		}
		if err := s.RetireGatewayKey(ctx, 1, at(6*time.Hour)); err != nil {
			t.Fatalf("RetireGatewayKey(1): %v", err)
		}
		want("RetireGatewayKey(1)", map[int]gateway.GatewayKeyState{1: ret, 2: act, 3: pub})
		if got := key(1).RetiredAt; !got.Equal(at(6 * time.Hour)) {
			t.Errorf("version 1 RetiredAt = %v, want %v", got, at(6*time.Hour))
		}
		wantErr(t, "RetireGatewayKey of a retired version", s.RetireGatewayKey(ctx, 1, at(7*time.Hour)), gateway.ErrNotFound)
		wantErr(t, "ActivateGatewayKey of a retired version", s.ActivateGatewayKey(ctx, 1, at(7*time.Hour)), gateway.ErrNotFound)
		wantErr(t, "UpdateClient pinning a retired version", s.UpdateClient(ctx, gateway.Client{ID: "client-a", GatewayKeyVersion: 1}), gateway.ErrNotFound)

		// Rotating with activate switches in the same write.
		v, err := s.AddGatewayKey(ctx, keyBytes(4), at(8*time.Hour), true)
		if err != nil || v != 4 {
			t.Fatalf("AddGatewayKey(activate) = %d, %v; want 4, nil", v, err)
		}
		want("AddGatewayKey(activate)", map[int]gateway.GatewayKeyState{1: ret, 2: pub, 3: pub, 4: act})
	})

	t.Run("EnsureGatewayKey", func(t *testing.T) {
		s := newStore(t)
		calls := 0
		gen := func() ([]byte, error) { calls++; return keyBytes(byte(calls)), nil }
		v, added, err := s.EnsureGatewayKey(ctx, gen, at(0))
		if err != nil || v != 1 || !added {
			t.Fatalf("EnsureGatewayKey on an empty store = %d, %v, %v; want 1, true, nil", v, added, err)
		}
		v, added, err = s.EnsureGatewayKey(ctx, gen, at(time.Hour))
		if err != nil || v != 1 || added || calls != 1 {
			t.Fatalf("second EnsureGatewayKey = %d, %v, %v (generate called %d times); want 1, false, nil, once", v, added, err, calls)
		}
		if _, err := s.AddGatewayKey(ctx, keyBytes(9), at(2*time.Hour), true); err != nil {
			t.Fatalf("AddGatewayKey: %v", err)
		}
		v, added, err = s.EnsureGatewayKey(ctx, gen, at(3*time.Hour))
		if err != nil || v != 2 || added {
			t.Errorf("EnsureGatewayKey after a rotation = %d, %v, %v; want the active version 2, false, nil", v, added, err)
		}
		reg := loadRegistry(t, s)
		if len(reg.GatewayKeys) != 2 || reg.GatewayKeys[0].State != gateway.GatewayKeyPublished || reg.GatewayKeys[1].State != gateway.GatewayKeyActive {
			t.Errorf("gateway keys = %+v, want version 1 published and 2 active", reg.GatewayKeys)
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
		step("AddGatewayKey", func() error { _, err := s.AddGatewayKey(ctx, keyBytes(1), at(0), false); return err })
		step("second AddGatewayKey", func() error { _, err := s.AddGatewayKey(ctx, keyBytes(2), at(time.Hour), false); return err })
		step("ActivateGatewayKey", func() error { return s.ActivateGatewayKey(ctx, 2, at(time.Hour)) })
		step("pin UpdateClient", func() error {
			return s.UpdateClient(ctx, gateway.Client{ID: "client-a", GatewayKeyVersion: 2})
		})
		step("RetireGatewayKey", func() error { return s.RetireGatewayKey(ctx, 1, at(2*time.Hour)) })
		step("second AddClient", func() error {
			return s.AddClient(ctx, gateway.Client{ID: "client-b", CreatedAt: at(0)}, clientKey("client-b", 1, at(0)))
		})
		// Payments are not registry writes, but they must not break it.
		insert(t, s, gateway.Tx.InsertPayment, newPayment("client-a", "req-1", "pay-1"))
		if got := registryVersion(t, s); got < v {
			t.Errorf("RegistryVersion after a payment = %d, want at least %d", got, v)
		}
	})
}
