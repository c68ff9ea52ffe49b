package gateway

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Client is a merchant (or a POS terminal) registered to call the gateway.
type Client struct {
	ID        string
	NotifyURL string // default notify URL when a request names none
	// Encrypted: the client's API traffic is encrypted, so its
	// notifications are encrypted too (for its newest key).
	Encrypted bool
	CreatedAt time.Time
	Keys      []ClientKey // by version, ascending
	// GatewayKeyVersion pins the client's answers and notifications to
	// that gateway key version instead of the active one, so a merchant
	// whose SDK holds one gateway key switches on their own schedule. 0:
	// not pinned.
	GatewayKeyVersion int
}

// ClientKey is one version of a client's public key.
type ClientKey struct {
	ClientID  string
	Version   int
	PublicKey []byte // X.509 SubjectPublicKeyInfo DER
	CreatedAt time.Time
	RetiredAt time.Time // zero while the key verifies
}

// Active reports whether the key still verifies requests.
func (k ClientKey) Active() bool { return k.RetiredAt.IsZero() }

// GatewayKeyState is where a gateway key version is in its life.
type GatewayKeyState string

// Gateway key states. A key is created published (the very first one is
// created active), becomes active when an operator activates it, goes back
// to published when another version is activated, and is retired at the
// end. Exactly one version is active while any key exists.
const (
	// GatewayKeyPublished: exportable, so merchants can install it before
	// it signs; it signs only for clients pinned to it, and opens requests
	// encrypted to it.
	GatewayKeyPublished GatewayKeyState = "published"
	// GatewayKeyActive: signs the answers and notifications of every client
	// that is not pinned to another version.
	GatewayKeyActive GatewayKeyState = "active"
	// GatewayKeyRetired: used for nothing any more; kept for the record.
	GatewayKeyRetired GatewayKeyState = "retired"
)

// GatewayKey is one version of the gateway's own signing key. Answers and
// notifications are signed with the active version (or the version a client
// is pinned to); merchants verify with the public half that `antomgw keys
// export` prints.
type GatewayKey struct {
	Version     int
	PrivateKey  []byte // PKCS #8 DER
	State       GatewayKeyState
	CreatedAt   time.Time
	ActivatedAt time.Time // when it last became active; zero if never
	RetiredAt   time.Time // zero unless retired
}

// Registry is the set of clients, their keys and the gateway's keys as one
// snapshot, with the store's registry version it was read at.
type Registry struct {
	Version     int64
	Clients     []Client
	GatewayKeys []GatewayKey
	// ScenarioRules are the live (not exhausted) scenario rules of every
	// client, oldest first.
	ScenarioRules []ScenarioRule
}

// Keyring answers key questions from a cached Registry and re-reads it when
// the store's registry version moves, so a change made by another process
// (the CLI, another node) is seen without a restart. It is safe for
// concurrent use.
//
// Reading the version is a store query; with MaxAge set, a node under load
// makes it once per MaxAge instead of once per request. It also makes it
// when the store's registry stamp moved, for a store that keeps one (see
// RegistryStamper: SQLite's tells a change from another process on the same
// machine at the cost of a stat), and after Invalidate: a change made
// through a Service whose RegistryChanged is this Keyring's Invalidate is
// seen by the next call whatever MaxAge is.
type Keyring struct {
	Store interface {
		RegistryVersion(ctx context.Context) (int64, error)
		LoadRegistry(ctx context.Context) (*Registry, error)
	}
	// MaxAge is how long the result of a version read is trusted: a change
	// made by another process is seen within MaxAge. 0 reads the version on
	// every call.
	MaxAge time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	mu      sync.Mutex // serialises reloads
	current atomic.Pointer[Keys]
	// gen counts invalidations; checked is the last version read, with the
	// time it began and the gen it began in.
	gen     atomic.Uint64
	checked atomic.Pointer[versionCheck]
}

// RegistryStamper is a store that can tell, without a query, that the
// registry may have changed: RegistryStamp returns a value that every
// registry write moves after it commits, whichever process made it; ok is
// false when it cannot tell.
type RegistryStamper interface {
	RegistryStamp() (stamp int64, ok bool)
}

// versionCheck is one read of the registry version: when it began, and
// the invalidation count and registry stamp before it.
type versionCheck struct {
	at    time.Time
	gen   uint64
	stamp int64
}

// Invalidate makes the next call read the registry version again: this
// process has just changed the registry.
func (k *Keyring) Invalidate() { k.gen.Add(1) }

// Keys is an immutable snapshot of the registry with parsed keys.
type Keys struct {
	version int64
	clients map[string]*clientKeys
	gateway map[int]*rsa.PrivateKey // published and active versions
	active  int                     // 0 when there is none
	// rules are the live scenario rules by client, oldest first.
	rules map[string][]ScenarioRule
}

// ScenarioRules returns the client's live scenario rules for api, oldest
// first, as of the snapshot (a rule exhausted since may be among them:
// claiming it fails). Nil when there are none, which is the common case and
// costs no store read.
func (k *Keys) ScenarioRules(clientID string, api ScenarioAPI) []ScenarioRule {
	var out []ScenarioRule
	for _, r := range k.rules[clientID] {
		if r.API == api {
			out = append(out, r)
		}
	}
	return out
}

type clientKeys struct {
	client   Client
	keys     map[int]*rsa.PublicKey // active keys only
	versions []int                  // of keys, descending
}

// Keys returns the current snapshot: the cached one while its version read
// is younger than MaxAge and nothing invalidated it, else after one cheap
// read of the store's registry version, and a reload when it moved.
func (k *Keyring) Keys(ctx context.Context) (*Keys, error) {
	now := k.now()
	gen := k.gen.Load()
	stamp, stamped := int64(0), false
	if st, ok := k.Store.(RegistryStamper); ok {
		stamp, stamped = st.RegistryStamp()
	}
	cur := k.current.Load()
	if c := k.checked.Load(); cur != nil && c != nil && c.gen == gen && now.Sub(c.at) < k.MaxAge && (!stamped || c.stamp == stamp) {
		return cur, nil
	}
	v, err := k.Store.RegistryVersion(ctx)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "read registry version", Err: err}
	}
	if cur == nil || cur.version != v {
		k.mu.Lock()
		defer k.mu.Unlock()
		if cur = k.current.Load(); cur == nil || cur.version < v {
			reg, err := k.Store.LoadRegistry(ctx)
			if err != nil {
				return nil, &Error{Kind: KindInternal, Message: "load registry", Err: err}
			}
			if cur, err = newKeys(reg); err != nil {
				return nil, err
			}
			k.current.Store(cur)
		}
	}
	// The check began at now, in gen: an invalidation since then (a change
	// this read may have missed) leaves it stale.
	k.checked.Store(&versionCheck{at: now, gen: gen, stamp: stamp})
	return cur, nil
}

func (k *Keyring) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func newKeys(reg *Registry) (*Keys, error) {
	keys := &Keys{version: reg.Version, clients: make(map[string]*clientKeys, len(reg.Clients)), gateway: map[int]*rsa.PrivateKey{}}
	for _, r := range reg.ScenarioRules {
		if keys.rules == nil {
			keys.rules = map[string][]ScenarioRule{}
		}
		keys.rules[r.ClientID] = append(keys.rules[r.ClientID], r)
	}
	for _, c := range reg.Clients {
		ck := &clientKeys{client: c, keys: map[int]*rsa.PublicKey{}}
		for _, key := range c.Keys {
			if !key.Active() {
				continue
			}
			pub, err := ParsePublicKeyDER(key.PublicKey)
			if err != nil {
				return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("client %s key version %d does not parse", c.ID, key.Version), Err: err}
			}
			ck.keys[key.Version] = pub
			ck.versions = append(ck.versions, key.Version)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ck.versions)))
		keys.clients[c.ID] = ck
	}
	for _, gk := range reg.GatewayKeys {
		if gk.State == GatewayKeyRetired {
			continue
		}
		rk, err := gk.parse()
		if err != nil {
			return nil, err
		}
		rk.Precompute()
		keys.gateway[gk.Version] = rk
		if gk.State == GatewayKeyActive {
			keys.active = gk.Version
		}
	}
	return keys, nil
}

// Errors of Keys, for the edge to map to result codes.
var (
	// ErrUnknownClient: no such client id (INVALID_CLIENT).
	ErrUnknownClient = errors.New("client id is not registered")
	// ErrUnknownKey: no active key of that version (KEY_NOT_FOUND).
	ErrUnknownKey = errors.New("key version is not registered")
)

// Client returns the registered client with that id, or ErrUnknownClient.
func (k *Keys) Client(clientID string) (Client, error) {
	ck, ok := k.clients[clientID]
	if !ok {
		return Client{}, ErrUnknownClient
	}
	return ck.client, nil
}

// ClientKey returns the client's active public key of that version, or its
// newest active key when version is 0, with the version used.
func (k *Keys) ClientKey(clientID string, version int) (*rsa.PublicKey, int, error) {
	ck, ok := k.clients[clientID]
	if !ok {
		return nil, 0, ErrUnknownClient
	}
	if version == 0 {
		if len(ck.versions) == 0 {
			return nil, 0, ErrUnknownKey
		}
		version = ck.versions[0]
	}
	pub, ok := ck.keys[version]
	if !ok {
		return nil, version, ErrUnknownKey
	}
	return pub, version, nil
}

// VersionedKey is a public key with its version.
type VersionedKey struct {
	Version int
	Key     *rsa.PublicKey
}

// ClientKeyCandidates returns the client's active public keys in the order
// a request signature should be tried: the version the request names first
// (the newest when it names none, version 0), then every other active
// version, newest first. Official SDKs send keyVersion=1 whatever key they
// sign with, so a merchant who rotated to version 2 still names version 1;
// trying the others lets such a rotation work. Retired keys are never
// candidates. The list is empty when the client has no active key; the
// named version is missing from it when it is not an active key.
func (k *Keys) ClientKeyCandidates(clientID string, named int) ([]VersionedKey, error) {
	ck, ok := k.clients[clientID]
	if !ok {
		return nil, ErrUnknownClient
	}
	out := make([]VersionedKey, 0, len(ck.versions))
	first := named
	if first == 0 && len(ck.versions) > 0 {
		first = ck.versions[0]
	}
	if pub, ok := ck.keys[first]; ok {
		out = append(out, VersionedKey{first, pub})
	}
	for _, v := range ck.versions {
		if v != first {
			out = append(out, VersionedKey{v, ck.keys[v]})
		}
	}
	return out, nil
}

// SigningKey returns the key that signs a client's answers and
// notifications, with its version: the version the client is pinned to when
// that version is still published, else the active version. An unknown
// client (an answer to a refused request) gets the active version.
func (k *Keys) SigningKey(clientID string) (*rsa.PrivateKey, int, error) {
	if ck, ok := k.clients[clientID]; ok && ck.client.GatewayKeyVersion != 0 {
		if key, ok := k.gateway[ck.client.GatewayKeyVersion]; ok {
			return key, ck.client.GatewayKeyVersion, nil
		}
	}
	if key, ok := k.gateway[k.active]; ok {
		return key, k.active, nil
	}
	return nil, 0, &Error{Kind: KindInternal, Message: "the gateway has no active signing key"}
}

// GatewayKey returns the gateway key of that version, published or active,
// for opening requests encrypted to it. Version 0 is the key that signs for
// the client (see SigningKey). A retired version is ErrUnknownKey.
func (k *Keys) GatewayKey(clientID string, version int) (*rsa.PrivateKey, int, error) {
	if version == 0 {
		return k.SigningKey(clientID)
	}
	if key, ok := k.gateway[version]; ok {
		return key, version, nil
	}
	return nil, version, ErrUnknownKey
}

// parse returns the RSA private key of a stored gateway key.
func (k GatewayKey) parse() (*rsa.PrivateKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("gateway key version %d does not parse", k.Version), Err: err}
	}
	rk, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("gateway key version %d is not RSA", k.Version)}
	}
	return rk, nil
}

// ParsePublicKeyDER parses an RSA SubjectPublicKeyInfo.
func ParsePublicKeyDER(der []byte) (*rsa.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%T public key, want RSA", pub)
	}
	return rk, nil
}
