package gateway_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/antomgw/antomgw/internal/gateway"
	"github.com/antomgw/antomgw/internal/sqlite"
)

// countingStore counts the registry version reads a Keyring makes, and can
// run a function during one (a write landing while the read is under way).
// It keeps no registry stamp, as the PostgreSQL store: another process's
// change is seen when MaxAge has passed.
type countingStore struct {
	gateway.Store
	reads  atomic.Int64
	during func()
}

// stampedStore is a countingStore with the SQLite store's registry stamp.
type stampedStore struct {
	*countingStore
	sqlite *sqlite.Store
}

func (s stampedStore) RegistryStamp() (int64, bool) { return s.sqlite.RegistryStamp() }

func (s *countingStore) RegistryVersion(ctx context.Context) (int64, error) {
	s.reads.Add(1)
	v, err := s.Store.RegistryVersion(ctx)
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	return v, err
}

// keyringEnv is a node's view of one SQLite file: a Service whose writes
// invalidate its Keyring (MaxAge 1s on a stepped clock), and a second
// Service on the same file standing for another process (the CLI, another
// node), whose writes this Keyring learns of by reading the version.
type keyringEnv struct {
	sqlite        *sqlite.Store
	store         *countingStore
	keyring       *gateway.Keyring
	local, remote *gateway.Service
	clock         *clock
}

func newKeyringEnv(t *testing.T, stamped bool) *keyringEnv {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	open := func() *sqlite.Store {
		st, err := sqlite.Open(context.Background(), path, sqlite.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	c := &clock{now: t0}
	st := open()
	e := &keyringEnv{sqlite: st, store: &countingStore{Store: st}, clock: c}
	e.keyring = &gateway.Keyring{Store: e.store, MaxAge: time.Second, Now: c.Now}
	if stamped {
		e.keyring.Store = stampedStore{e.store, st}
	}
	e.local = &gateway.Service{Store: st, Now: c.Now, RegistryChanged: e.keyring.Invalidate}
	e.remote = &gateway.Service{Store: open(), Now: c.Now}
	if _, _, err := e.local.EnsureGatewayKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *keyringEnv) keys(t *testing.T) *gateway.Keys {
	t.Helper()
	k, err := e.keyring.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// registered reports whether the Keyring's current snapshot knows client.
func (e *keyringEnv) registered(t *testing.T, client string) bool {
	t.Helper()
	_, err := e.keys(t).Client(client)
	return err == nil
}

// clientKeyDER is one public key every test client shares.
var clientKeyDER = sync.OnceValue(func() []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return der
})

func addClient(t *testing.T, svc *gateway.Service, id string) {
	t.Helper()
	if _, err := svc.AddClient(context.Background(), gateway.NewClient{ID: id, PublicKey: clientKeyDER()}); err != nil {
		t.Fatal(err)
	}
}

// TestKeyringReadsVersionOncePerMaxAge: under load a node reads the
// registry version once per MaxAge, not once per request; another
// process's change is seen once MaxAge has passed, not before.
func TestKeyringReadsVersionOncePerMaxAge(t *testing.T) {
	e := newKeyringEnv(t, false)
	e.keys(t)
	for range 1000 {
		e.keys(t)
	}
	if got := e.store.reads.Load(); got != 1 {
		t.Fatalf("1001 calls within MaxAge read the registry version %d times, want 1", got)
	}

	addClient(t, e.remote, "B")
	e.clock.Add(999 * time.Millisecond)
	if e.registered(t, "B") {
		t.Error("a change by another process was seen before MaxAge passed without reading the version")
	}
	e.clock.Add(time.Millisecond)
	if !e.registered(t, "B") {
		t.Error("a change by another process was not seen once MaxAge had passed")
	}
	if got := e.store.reads.Load(); got != 2 {
		t.Errorf("registry version reads = %d, want 2", got)
	}
}

// TestKeyringSeesOwnChangesAtOnce: a change made through the node's own
// Service (its console) applies from the next request, whatever MaxAge.
func TestKeyringSeesOwnChangesAtOnce(t *testing.T) {
	e := newKeyringEnv(t, false)
	e.keys(t)
	addClient(t, e.local, "C")
	if !e.registered(t, "C") {
		t.Fatal("a client added through this node's Service was not seen by its next request")
	}

	before := e.keys(t)
	rot, _, err := e.local.RotateGatewayKey(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := e.keys(t).SigningKey("C"); err != nil || v != rot.Version {
		t.Errorf("after a rotation on this node, SigningKey = version %d (%v), want %d", v, err, rot.Version)
	}
	if _, v, _ := before.SigningKey("C"); v == rot.Version {
		t.Error("the snapshot taken before the rotation changed: snapshots must be immutable")
	}

	if err := e.local.RetireClientKey(context.Background(), "C", 1, true); err != nil {
		t.Fatal(err)
	}
	if cands, _ := e.keys(t).ClientKeyCandidates("C", 0); len(cands) != 0 {
		t.Error("a key retired through this node's Service still verifies on its next request")
	}
}

// TestKeyringInvalidatedDuringRead: a write of this node that lands while
// a version read is under way may be missed by that read, so the read does
// not count as fresh: the next call reads again.
func TestKeyringInvalidatedDuringRead(t *testing.T) {
	e := newKeyringEnv(t, false)
	e.keys(t)
	e.clock.Add(time.Second)
	e.store.during = func() { addClient(t, e.local, "D") } // commits after the read
	e.keys(t)
	if !e.registered(t, "D") {
		t.Error("a write that landed during a version read was not seen by the next call")
	}
}

// TestKeyringMaxAgeZero reads the version on every call: every change,
// from anywhere, is seen by the next request.
func TestKeyringMaxAgeZero(t *testing.T) {
	e := newKeyringEnv(t, false)
	e.keyring.MaxAge = 0
	for range 5 {
		e.keys(t)
	}
	if got := e.store.reads.Load(); got != 5 {
		t.Errorf("MaxAge 0: 5 calls read the version %d times, want 5", got)
	}
	addClient(t, e.remote, "E")
	if !e.registered(t, "E") {
		t.Error("MaxAge 0: another process's change was not seen by the next call")
	}
}

// failingVersion fails every version read.
type failingVersion struct{ *sqlite.Store }

func (failingVersion) RegistryVersion(context.Context) (int64, error) {
	return 0, errors.New("disk I/O error")
}

// TestKeyringVersionReadFails: a failed read is an error, never a stale
// snapshot passed off as checked.
func TestKeyringVersionReadFails(t *testing.T) {
	e := newKeyringEnv(t, false)
	e.keys(t)
	e.keyring.Store = failingVersion{e.sqlite}
	e.clock.Add(time.Second)
	if _, err := e.keyring.Keys(context.Background()); err == nil {
		t.Error("Keys with a failing version read past MaxAge returned no error")
	}
}

// TestKeyringStamp: on SQLite, a change another process (the CLI) makes is
// seen by the next request without waiting for MaxAge, through the
// registry stamp; requests with no change in between read no version.
func TestKeyringStamp(t *testing.T) {
	e := newKeyringEnv(t, true)
	e.keys(t)
	for range 100 {
		e.keys(t)
	}
	if got := e.store.reads.Load(); got != 1 {
		t.Fatalf("101 calls with no change read the registry version %d times, want 1", got)
	}
	addClient(t, e.remote, "F")
	if !e.registered(t, "F") {
		t.Error("a change by another process was not seen by the next call, though the stamp moved")
	}
	e.keys(t)
	if got := e.store.reads.Load(); got != 2 {
		t.Errorf("registry version reads = %d, want 2 (one for the stamp's move)", got)
	}
	if _, err := e.remote.AddScenarioRule(context.Background(), gateway.ScenarioRule{ClientID: "F", API: gateway.ScenarioPay, Count: 1,
		Effect: gateway.ScenarioEffect{Kind: gateway.EffectResult, ResultCode: "RISK_REJECT", ResultStatus: "F"}}); err != nil {
		t.Fatal(err)
	}
	if len(e.keys(t).ScenarioRules("F", gateway.ScenarioPay)) != 1 {
		t.Error("a scenario rule another process added was not seen by the next call")
	}
}
