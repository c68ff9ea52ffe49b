package gateway

import (
	"context"
	"errors"
	"net/url"
	"slices"
)

// The operator's use cases for clients: each is one call that the CLI, the
// console and tests make the same way. Errors are *Error: KindInvalid names
// the field, KindNotFound and KindConflict say what to do instead.

// NewClient is a client to register with its first public key.
type NewClient struct {
	ID string
	// NotifyURL is the default notify URL when a request names none.
	NotifyURL string
	// Encrypted: encrypt the client's notifications (RSA_AES).
	Encrypted bool
	// PublicKey is the client's RSA public key (X.509
	// SubjectPublicKeyInfo DER, 2048 bits or more).
	PublicKey []byte
	// KeyVersion is the version of PublicKey. Defaults to 1.
	KeyVersion int
}

// ClientUpdate changes a client's settings; nil fields keep their value.
type ClientUpdate struct {
	ID        string
	NotifyURL *string // "" clears it
	Encrypted *bool
	// GatewayKeyVersion pins the client's answers and notifications to a
	// gateway key version; 0 unpins.
	GatewayKeyVersion *int
}

// MinClientKeyBits is the smallest client key accepted.
const MinClientKeyBits = 2048

// AddClient registers a client with its first public key.
func (s *Service) AddClient(ctx context.Context, in NewClient) (*Client, error) {
	defer s.registryWritten()
	if err := checkClientID(in.ID); err != nil {
		return nil, err
	}
	if err := CheckNotifyURL(in.NotifyURL); err != nil {
		return nil, err
	}
	if in.KeyVersion == 0 {
		in.KeyVersion = 1
	}
	if in.KeyVersion < 0 {
		return nil, Invalid("keyVersion", "key version must be a positive integer, got %d", in.KeyVersion)
	}
	if err := checkClientKey(in.PublicKey); err != nil {
		return nil, err
	}
	now := s.now()
	c := Client{ID: in.ID, NotifyURL: in.NotifyURL, Encrypted: in.Encrypted, CreatedAt: now}
	key := ClientKey{ClientID: in.ID, Version: in.KeyVersion, PublicKey: in.PublicKey, CreatedAt: now}
	err := s.Store.AddClient(ctx, c, key)
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(KindConflict, "client %s is already registered; add a key version to it instead", in.ID)
	}
	if err != nil {
		return nil, storeError(err)
	}
	c.Keys = []ClientKey{key}
	return &c, nil
}

// UpdateClient changes a client's settings and returns the client as it is
// now.
func (s *Service) UpdateClient(ctx context.Context, u ClientUpdate) (*Client, error) {
	defer s.registryWritten()
	c, err := s.Client(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if u.NotifyURL != nil {
		c.NotifyURL = *u.NotifyURL
	}
	if u.Encrypted != nil {
		c.Encrypted = *u.Encrypted
	}
	if u.GatewayKeyVersion != nil {
		c.GatewayKeyVersion = *u.GatewayKeyVersion
	}
	if err := CheckNotifyURL(c.NotifyURL); err != nil {
		return nil, err
	}
	if c.GatewayKeyVersion < 0 {
		return nil, Invalid("gatewayKeyVersion", "gateway key version must be 0 (unpin) or a key version, got %d", c.GatewayKeyVersion)
	}
	err = s.Store.UpdateClient(ctx, *c)
	switch {
	case errors.Is(err, ErrNotFound) && c.GatewayKeyVersion != 0:
		return nil, Errorf(KindNotFound, "the gateway has no published or active key version %d to pin client %s to", c.GatewayKeyVersion, c.ID)
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(KindNotFound, "client %s is not registered", c.ID)
	case err != nil:
		return nil, storeError(err)
	}
	return c, nil
}

// Client returns a registered client with its keys.
func (s *Service) Client(ctx context.Context, id string) (*Client, error) {
	clients, err := s.Clients(ctx)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(clients, func(c Client) bool { return c.ID == id }); i >= 0 {
		return &clients[i], nil
	}
	return nil, Errorf(KindNotFound, "client %s is not registered", id)
}

// Clients returns every client with its keys (retired ones too), by id.
func (s *Service) Clients(ctx context.Context) ([]Client, error) {
	reg, err := s.Store.LoadRegistry(ctx)
	if err != nil {
		return nil, storeError(err)
	}
	return reg.Clients, nil
}

// AddClientKey adds a public key version to a client: requests signed with
// it verify from the next request on, next to the other active versions.
func (s *Service) AddClientKey(ctx context.Context, clientID string, version int, publicKey []byte) error {
	defer s.registryWritten()
	if version <= 0 {
		return Invalid("keyVersion", "key version must be a positive integer, got %d", version)
	}
	if err := checkClientKey(publicKey); err != nil {
		return err
	}
	err := s.Store.AddClientKey(ctx, ClientKey{ClientID: clientID, Version: version, PublicKey: publicKey, CreatedAt: s.now()})
	switch {
	case errors.Is(err, ErrNotFound):
		return Errorf(KindNotFound, "client %s is not registered", clientID)
	case errors.Is(err, ErrConflict):
		return Errorf(KindConflict, "client %s already has key version %d", clientID, version)
	case err != nil:
		return storeError(err)
	}
	return nil
}

// RetireClientKey stops accepting a client key version from the next
// request on; its key never verifies again, and nothing un-retires it.
// Retiring a client's last active key refuses every request of the client
// from then on, so it is refused unless force is set.
func (s *Service) RetireClientKey(ctx context.Context, clientID string, version int, force bool) error {
	defer s.registryWritten()
	if !force {
		c, err := s.Client(ctx, clientID)
		if err != nil {
			return err
		}
		active := 0
		last := false
		for _, k := range c.Keys {
			if k.Active() {
				active++
				last = k.Version == version
			}
		}
		if active == 1 && last {
			return Errorf(KindConflict, "key version %d is the last active key of client %s: without it every request of %s is refused, and a retired key cannot be restored; add the new key first (add-key), or retire it anyway with --force", version, clientID, clientID)
		}
	}
	err := s.Store.RetireClientKey(ctx, clientID, version, s.now())
	if errors.Is(err, ErrNotFound) {
		return Errorf(KindNotFound, "client %s has no active key version %d", clientID, version)
	}
	if err != nil {
		return storeError(err)
	}
	return nil
}

// checkClientID accepts what can travel in a Client-Id header: 1 to 64
// printable ASCII characters without spaces.
func checkClientID(id string) error {
	if id == "" {
		return Invalid("clientId", "the client id is empty")
	}
	if len(id) > 64 {
		return Invalid("clientId", "the client id is %d characters; at most 64", len(id))
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return Invalid("clientId", "the client id %q has a character a Client-Id header cannot carry (printable ASCII without spaces)", id)
		}
	}
	return nil
}

// CheckNotifyURL accepts "" or an absolute http or https URL.
func CheckNotifyURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid("notifyUrl", "%q is not an absolute http or https URL", s)
	}
	return nil
}

func checkClientKey(der []byte) error {
	pub, err := ParsePublicKeyDER(der)
	if err != nil {
		return Invalid("publicKey", "the public key does not parse as an RSA SubjectPublicKeyInfo: %v", err)
	}
	if bits := pub.N.BitLen(); bits < MinClientKeyBits {
		return Invalid("publicKey", "the RSA key is %d bits; at least %d", bits, MinClientKeyBits)
	}
	return nil
}
