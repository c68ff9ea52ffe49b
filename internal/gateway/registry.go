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

// GatewayKey is one version of the gateway's own signing key. Responses and
// notifications are signed with the newest version; merchants verify with
// the public half that `antomgw keys export` prints.
type GatewayKey struct {
	Version    int
	PrivateKey []byte // PKCS #8 DER
	CreatedAt  time.Time
}

// Registry is the set of clients, their keys and the gateway's keys as one
// snapshot, with the store's registry version it was read at.
type Registry struct {
	Version     int64
	Clients     []Client
	GatewayKeys []GatewayKey
}

// Keyring answers key questions from a cached Registry and re-reads it when
// the store's registry version moves, so a change made by another process
// (the CLI, another node) is seen by the next request without a restart. It
// is safe for concurrent use.
type Keyring struct {
	Store interface {
		RegistryVersion(ctx context.Context) (int64, error)
		LoadRegistry(ctx context.Context) (*Registry, error)
	}

	mu      sync.Mutex // serialises reloads
	current atomic.Pointer[Keys]
}

// Keys is an immutable snapshot of the registry with parsed keys.
type Keys struct {
	version int64
	clients map[string]*clientKeys
	signing []signingKey // ascending version
}

type clientKeys struct {
	client Client
	keys   map[int]*rsa.PublicKey // active keys only
	newest int
}

type signingKey struct {
	version int
	key     *rsa.PrivateKey
}

// Keys returns the current snapshot: one cheap read of the store's registry
// version, and a reload when it moved.
func (k *Keyring) Keys(ctx context.Context) (*Keys, error) {
	v, err := k.Store.RegistryVersion(ctx)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "read registry version", Err: err}
	}
	if cur := k.current.Load(); cur != nil && cur.version == v {
		return cur, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if cur := k.current.Load(); cur != nil && cur.version >= v {
		return cur, nil
	}
	reg, err := k.Store.LoadRegistry(ctx)
	if err != nil {
		return nil, &Error{Kind: KindInternal, Message: "load registry", Err: err}
	}
	keys, err := newKeys(reg)
	if err != nil {
		return nil, err
	}
	k.current.Store(keys)
	return keys, nil
}

func newKeys(reg *Registry) (*Keys, error) {
	keys := &Keys{version: reg.Version, clients: make(map[string]*clientKeys, len(reg.Clients))}
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
			ck.newest = max(ck.newest, key.Version)
		}
		keys.clients[c.ID] = ck
	}
	for _, gk := range reg.GatewayKeys {
		priv, err := x509.ParsePKCS8PrivateKey(gk.PrivateKey)
		if err != nil {
			return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("gateway key version %d does not parse", gk.Version), Err: err}
		}
		rk, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, &Error{Kind: KindInternal, Message: fmt.Sprintf("gateway key version %d is not RSA", gk.Version)}
		}
		rk.Precompute()
		keys.signing = append(keys.signing, signingKey{gk.Version, rk})
	}
	sort.Slice(keys.signing, func(i, j int) bool { return keys.signing[i].version < keys.signing[j].version })
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
		version = ck.newest
	}
	pub, ok := ck.keys[version]
	if !ok {
		return nil, version, ErrUnknownKey
	}
	return pub, version, nil
}

// SigningKey returns the gateway's newest signing key and its version.
func (k *Keys) SigningKey() (*rsa.PrivateKey, int, error) {
	if len(k.signing) == 0 {
		return nil, 0, &Error{Kind: KindInternal, Message: "the gateway has no signing key"}
	}
	s := k.signing[len(k.signing)-1]
	return s.key, s.version, nil
}

// GatewayKey returns the gateway key of that version (0: the newest), for
// opening requests encrypted to an older version.
func (k *Keys) GatewayKey(version int) (*rsa.PrivateKey, int, error) {
	if version == 0 {
		return k.SigningKey()
	}
	for _, s := range k.signing {
		if s.version == version {
			return s.key, s.version, nil
		}
	}
	return nil, version, ErrUnknownKey
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
