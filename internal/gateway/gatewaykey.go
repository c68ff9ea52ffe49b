package gateway

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"sort"
	"strings"
	"time"
)

// The operator's use cases for the gateway's own keys (staged rotation:
// published, active, retired; per-client pins).

// GatewayKeyInfo is one gateway key version as an operator sees it: never
// the private half.
type GatewayKeyInfo struct {
	Version       int
	State         GatewayKeyState
	PublicKey     *rsa.PublicKey
	CreatedAt     time.Time
	ActivatedAt   time.Time
	RetiredAt     time.Time
	PinnedClients []string // ids of the clients pinned to this version
}

// generateKey returns a new gateway key as PKCS #8 DER.
func (s *Service) generateKey() ([]byte, error) {
	if s.GenerateKey != nil {
		return s.GenerateKey()
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

// GatewayKeys lists every gateway key version, oldest first.
func (s *Service) GatewayKeys(ctx context.Context) ([]GatewayKeyInfo, error) {
	reg, err := s.Store.LoadRegistry(ctx)
	if err != nil {
		return nil, storeError(err)
	}
	pinned := map[int][]string{}
	for _, c := range reg.Clients {
		if c.GatewayKeyVersion != 0 {
			pinned[c.GatewayKeyVersion] = append(pinned[c.GatewayKeyVersion], c.ID)
		}
	}
	out := make([]GatewayKeyInfo, 0, len(reg.GatewayKeys))
	for _, k := range reg.GatewayKeys {
		info := GatewayKeyInfo{Version: k.Version, State: k.State, CreatedAt: k.CreatedAt,
			ActivatedAt: k.ActivatedAt, RetiredAt: k.RetiredAt, PinnedClients: pinned[k.Version]}
		rk, err := k.parse()
		if err != nil {
			return nil, err
		}
		info.PublicKey = &rk.PublicKey
		sort.Strings(info.PinnedClients)
		out = append(out, info)
	}
	return out, nil
}

// GatewayKey returns one gateway key version; 0 is the active one. A
// retired version is KindInvalidTransition: it is exported no more.
func (s *Service) GatewayKey(ctx context.Context, version int) (*GatewayKeyInfo, error) {
	keys, err := s.GatewayKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		k := &keys[i]
		if (version == 0 && k.State == GatewayKeyActive) || (version != 0 && k.Version == version) {
			if k.State == GatewayKeyRetired {
				return nil, Errorf(KindInvalidTransition, "gateway key version %d is retired; it signs nothing and is not exported", version)
			}
			return k, nil
		}
	}
	if version == 0 {
		return nil, Errorf(KindNotFound, "the gateway has no active key")
	}
	return nil, Errorf(KindNotFound, "the gateway has no key version %d", version)
}

// EnsureGatewayKey makes sure the gateway has a signing key, creating
// version 1 (RSA-2048, active) on first use; processes starting together
// create one key between them. It returns the active key and whether it was
// created now.
func (s *Service) EnsureGatewayKey(ctx context.Context) (*GatewayKeyInfo, bool, error) {
	defer s.registryWritten()
	_, added, err := s.Store.EnsureGatewayKey(ctx, s.generateKey, s.now())
	if err != nil {
		return nil, false, storeError(err)
	}
	k, err := s.GatewayKey(ctx, 0)
	return k, added, err
}

// RotateGatewayKey creates the next gateway key version: published (merchants
// can install it before it signs), or active at once when activate is set.
// It returns the new version and the version that was active before.
func (s *Service) RotateGatewayKey(ctx context.Context, activate bool) (created *GatewayKeyInfo, wasActive int, err error) {
	defer s.registryWritten()
	before, _, err := s.EnsureGatewayKey(ctx)
	if err != nil {
		return nil, 0, err
	}
	der, err := s.generateKey()
	if err != nil {
		return nil, 0, &Error{Kind: KindInternal, Message: "generate a gateway key", Err: err}
	}
	v, err := s.Store.AddGatewayKey(ctx, der, s.now(), activate)
	if err != nil {
		return nil, 0, storeError(err)
	}
	created, err = s.GatewayKey(ctx, v)
	return created, before.Version, err
}

// ActivateGatewayKey makes a published version the one that signs the
// answers and notifications of every client not pinned to another version,
// from every node's next request on.
func (s *Service) ActivateGatewayKey(ctx context.Context, version int) error {
	defer s.registryWritten()
	if version <= 0 {
		return Invalid("keyVersion", "key version must be a positive integer, got %d", version)
	}
	err := s.Store.ActivateGatewayKey(ctx, version, s.now())
	if errors.Is(err, ErrNotFound) {
		return Errorf(KindNotFound, "the gateway has no published key version %d", version)
	}
	if err != nil {
		return storeError(err)
	}
	return nil
}

// RetireGatewayKey retires a published version: it signs and opens nothing
// any more. The active version and a version clients are pinned to are
// refused (KindConflict), saying what to do first.
func (s *Service) RetireGatewayKey(ctx context.Context, version int) error {
	defer s.registryWritten()
	keys, err := s.GatewayKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Version != version {
			continue
		}
		if k.State == GatewayKeyActive {
			return Errorf(KindConflict, "gateway key version %d is active; activate another version first", version)
		}
		if len(k.PinnedClients) > 0 {
			return Errorf(KindConflict, "gateway key version %d is still pinned by %s; unpin them first (gateway key version 0)", version, strings.Join(k.PinnedClients, ", "))
		}
	}
	err = s.Store.RetireGatewayKey(ctx, version, s.now())
	switch {
	case errors.Is(err, ErrNotFound):
		return Errorf(KindNotFound, "the gateway has no published key version %d", version)
	case errors.Is(err, ErrConflict):
		// A pin or an activation came in between the check and the write.
		return Errorf(KindConflict, "gateway key version %d became active or pinned meanwhile; look again", version)
	case err != nil:
		return storeError(err)
	}
	return nil
}
