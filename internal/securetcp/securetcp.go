// Package securetcp is the encrypted form of the TCP gateway protocol: an
// X25519 key exchange whose server half is signed by the server's long-term
// Ed25519 identity key, HKDF-SHA256 over the shared secret and the
// transcript, then every frame sealed with ChaCha20-Poly1305 under a
// per-direction 64-bit counter nonce. docs/protocol.md ("Encrypted TCP")
// specifies it byte by byte; testdata/ holds its golden vectors.
//
// Every primitive comes from the standard library (crypto/ecdh,
// crypto/ed25519, crypto/hkdf, crypto/sha256) or golang.org/x/crypto
// (chacha20poly1305). This package only fixes the byte layout and the
// order of operations.
package securetcp

import (
	"bufio"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/lordgame/lordgame/internal/transport"
)

// Version is the key exchange version this package speaks.
const Version = 1

// Kind is the frame kind of the two key exchange frames (KIND_KEY_EXCHANGE
// in proto/lordgame/v1/protocol.proto). It is valid only as the very first
// frame in each direction of a TCP connection, before the handshake.
const Kind transport.Kind = 9

// Sizes of the key exchange bodies and of the parts of a sealed record.
const (
	KeySize         = 32 // X25519 public key, ChaCha20-Poly1305 key
	NonceSize       = 16 // random nonce of each side's hello
	ClientHelloSize = 1 + KeySize + NonceSize
	// ServerHelloSize is version, ephemeral key, nonce, identity key and
	// the Ed25519 signature.
	ServerHelloSize = ClientHelloSize + ed25519.PublicKeySize + ed25519.SignatureSize
	signedSize      = ClientHelloSize + ed25519.PublicKeySize // the server hello without its signature
	// Overhead is what sealing adds to a frame: the Poly1305 tag.
	Overhead = chacha20poly1305.Overhead
	// MinRecord is the smallest sealed record length: a frame header and a tag.
	MinRecord = transport.HeaderWS + Overhead
)

// Context strings. sigContext is prefixed to what the server signs;
// the info strings separate the two directions' keys.
const (
	sigContext = "LordGame TCP key exchange v1\x00"
	infoC2S    = "lordgame tcp v1 client to server"
	infoS2C    = "lordgame tcp v1 server to client"
)

// Errors. Every one of them means the connection cannot be trusted.
var (
	ErrBadHello    = errors.New("securetcp: malformed key exchange frame")
	ErrVersion     = errors.New("securetcp: unsupported key exchange version")
	ErrBadKey      = errors.New("securetcp: bad X25519 public key")
	ErrSignature   = errors.New("securetcp: server signature does not verify")
	ErrPin         = errors.New("securetcp: server identity key is not the pinned one")
	ErrOpen        = errors.New("securetcp: record failed authentication (altered, replayed, reordered or cut)")
	ErrShortRecord = errors.New("securetcp: record shorter than a header and a tag")
	ErrTooLarge    = errors.New("securetcp: record larger than the maximum")
	ErrExhausted   = errors.New("securetcp: nonce counter exhausted")
)

// ClientHello is the body of the client's key exchange frame.
type ClientHello struct {
	Version byte
	Public  [KeySize]byte
	Nonce   [NonceSize]byte
}

// Append appends the 49-byte body.
func (h *ClientHello) Append(dst []byte) []byte {
	dst = append(dst, h.Version)
	dst = append(dst, h.Public[:]...)
	return append(dst, h.Nonce[:]...)
}

// ParseClientHello decodes a client hello body. A version other than
// Version is ErrVersion (the server answers it in plain text).
func ParseClientHello(b []byte) (ClientHello, error) {
	var h ClientHello
	if len(b) < 1 {
		return h, ErrBadHello
	}
	if b[0] != Version {
		h.Version = b[0]
		return h, ErrVersion
	}
	if len(b) != ClientHelloSize {
		return h, ErrBadHello
	}
	h.Version = b[0]
	copy(h.Public[:], b[1:])
	copy(h.Nonce[:], b[1+KeySize:])
	return h, nil
}

// ServerHello is the body of the server's key exchange frame.
type ServerHello struct {
	Version   byte
	Public    [KeySize]byte
	Nonce     [NonceSize]byte
	Identity  [ed25519.PublicKeySize]byte
	Signature [ed25519.SignatureSize]byte
}

func (h *ServerHello) appendSigned(dst []byte) []byte {
	dst = append(dst, h.Version)
	dst = append(dst, h.Public[:]...)
	dst = append(dst, h.Nonce[:]...)
	return append(dst, h.Identity[:]...)
}

// Append appends the 145-byte body.
func (h *ServerHello) Append(dst []byte) []byte {
	return append(h.appendSigned(dst), h.Signature[:]...)
}

// ParseServerHello decodes a server hello body (it does not verify it).
func ParseServerHello(b []byte) (ServerHello, error) {
	var h ServerHello
	if len(b) != ServerHelloSize {
		return h, ErrBadHello
	}
	if b[0] != Version {
		return h, ErrVersion
	}
	h.Version = b[0]
	b = b[1:]
	b = b[copy(h.Public[:], b):]
	b = b[copy(h.Nonce[:], b):]
	b = b[copy(h.Identity[:], b):]
	copy(h.Signature[:], b)
	return h, nil
}

// AppendFrame appends a key exchange TCP frame carrying body: the usual
// 12-byte TCP header with kind 9, flags, route and seq zero.
func AppendFrame(dst, body []byte) []byte {
	return transport.AppendTCP(dst, &transport.Frame{Kind: Kind, Body: body})
}

// ReadFrame reads one key exchange frame from r and returns its body; want
// is the body size expected. Anything else (another kind, another length,
// non-zero flags, route or seq) is ErrBadHello; the caller decides what an
// ordinary frame in its place means (a server refusal, for the client).
func ReadFrame(r io.Reader, want int) (transport.Frame, error) {
	var hdr [transport.HeaderTCP]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return transport.Frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[0:4])
	f := transport.Frame{Kind: transport.Kind(hdr[4]), Flags: hdr[5], Route: binary.BigEndian.Uint16(hdr[6:8]), Seq: binary.BigEndian.Uint32(hdr[8:12])}
	if f.Kind != Kind {
		// Not a key exchange frame: hand back the header and a bounded body
		// so that the caller can read a plain-text refusal.
		if !f.Kind.Valid() || n > 4096 {
			return transport.Frame{}, ErrBadHello
		}
		f.Body = make([]byte, n)
		if _, err := io.ReadFull(r, f.Body); err != nil {
			return transport.Frame{}, unexpected(err)
		}
		return f, nil
	}
	if f.Flags != 0 || f.Route != 0 || f.Seq != 0 || n == 0 || n > uint32(want) {
		return transport.Frame{}, ErrBadHello
	}
	f.Body = make([]byte, n)
	if _, err := io.ReadFull(r, f.Body); err != nil {
		return transport.Frame{}, unexpected(err)
	}
	return f, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Session is one side's keys after the exchange: a Sealer for the frames
// it sends and an Opener for the frames it receives.
type Session struct {
	Seal *Sealer
	Open *Opener
	// Identity is the server's identity public key.
	Identity ed25519.PublicKey
}

// derive computes both directions' keys from the shared secret and the
// transcript (the two hello bodies, the server's with its signature).
func derive(shared, client, server []byte, isServer bool) (*Session, error) {
	c2s, s2c, _, err := deriveKeys(shared, client, server)
	if err != nil {
		return nil, err
	}
	send, recv := c2s, s2c
	if isServer {
		send, recv = s2c, c2s
	}
	sa, err := chacha20poly1305.New(send)
	if err != nil {
		return nil, err
	}
	ra, err := chacha20poly1305.New(recv)
	if err != nil {
		return nil, err
	}
	return &Session{Seal: &Sealer{aead: sa}, Open: &Opener{aead: ra}}, nil
}

// deriveKeys is HKDF-SHA256 with the shared secret as input key material,
// SHA-256(client hello body || server hello body) as salt, and one info
// string per direction.
func deriveKeys(shared, client, server []byte) (c2s, s2c, transcript []byte, err error) {
	th := sha256.New()
	th.Write(client)
	th.Write(server)
	transcript = th.Sum(nil)
	if c2s, err = hkdf.Key(sha256.New, shared, transcript, infoC2S, KeySize); err != nil {
		return nil, nil, nil, err
	}
	if s2c, err = hkdf.Key(sha256.New, shared, transcript, infoS2C, KeySize); err != nil {
		return nil, nil, nil, err
	}
	return c2s, s2c, transcript, nil
}

// newEphemeral reads a 32-byte X25519 private key and a nonce from rand.
func newEphemeral(rand io.Reader) (*ecdh.PrivateKey, [NonceSize]byte, error) {
	var seed [KeySize]byte
	var nonce [NonceSize]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, nonce, fmt.Errorf("securetcp: random: %w", err)
	}
	if _, err := io.ReadFull(rand, nonce[:]); err != nil {
		return nil, nonce, fmt.Errorf("securetcp: random: %w", err)
	}
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	return k, nonce, err
}

func signedMessage(client []byte, h *ServerHello) []byte {
	m := make([]byte, 0, len(sigContext)+ClientHelloSize+signedSize)
	m = append(m, sigContext...)
	m = append(m, client...)
	return h.appendSigned(m)
}

// Accept is the server's half: from the client hello body it builds the
// server hello body (its ephemeral key signed with identity) and the keys.
// rand supplies the ephemeral private key (32 bytes) then the nonce (16).
func Accept(rand io.Reader, identity ed25519.PrivateKey, clientBody []byte) ([]byte, *Session, error) {
	ch, err := ParseClientHello(clientBody)
	if err != nil {
		return nil, nil, err
	}
	peer, err := ecdh.X25519().NewPublicKey(ch.Public[:])
	if err != nil {
		return nil, nil, ErrBadKey
	}
	priv, nonce, err := newEphemeral(rand)
	if err != nil {
		return nil, nil, err
	}
	shared, err := priv.ECDH(peer)
	if err != nil { // a low-order point: the shared secret would be zero
		return nil, nil, ErrBadKey
	}
	sh := ServerHello{Version: Version, Nonce: nonce}
	copy(sh.Public[:], priv.PublicKey().Bytes())
	pub := identity.Public().(ed25519.PublicKey)
	copy(sh.Identity[:], pub)
	copy(sh.Signature[:], ed25519.Sign(identity, signedMessage(clientBody, &sh)))
	body := sh.Append(make([]byte, 0, ServerHelloSize))
	s, err := derive(shared, clientBody, body, true)
	if err != nil {
		return nil, nil, err
	}
	s.Identity = pub
	return body, s, nil
}

// Client is the client's half of one key exchange.
type Client struct {
	priv *ecdh.PrivateKey
	body []byte
}

// NewClient makes an ephemeral key and a nonce (from rand, in that order).
func NewClient(rand io.Reader) (*Client, error) {
	priv, nonce, err := newEphemeral(rand)
	if err != nil {
		return nil, err
	}
	h := ClientHello{Version: Version, Nonce: nonce}
	copy(h.Public[:], priv.PublicKey().Bytes())
	return &Client{priv: priv, body: h.Append(make([]byte, 0, ClientHelloSize))}, nil
}

// Hello is the client hello body to send in a key exchange frame.
func (c *Client) Hello() []byte { return c.body }

// Finish checks the server hello body (the signature over both hellos, and
// the identity key against pin when pin is not nil) and derives the keys.
func (c *Client) Finish(serverBody []byte, pin ed25519.PublicKey) (*Session, error) {
	sh, err := ParseServerHello(serverBody)
	if err != nil {
		return nil, err
	}
	if pin != nil && (len(pin) != ed25519.PublicKeySize || subtle.ConstantTimeCompare(pin, sh.Identity[:]) != 1) {
		return nil, ErrPin
	}
	id := ed25519.PublicKey(append([]byte(nil), sh.Identity[:]...))
	if !ed25519.Verify(id, signedMessage(c.body, &sh), sh.Signature[:]) {
		return nil, ErrSignature
	}
	peer, err := ecdh.X25519().NewPublicKey(sh.Public[:])
	if err != nil {
		return nil, ErrBadKey
	}
	shared, err := c.priv.ECDH(peer)
	if err != nil {
		return nil, ErrBadKey
	}
	s, err := derive(shared, c.body, serverBody, false)
	if err != nil {
		return nil, err
	}
	s.Identity = id
	return s, nil
}

// counterNonce writes the 96-bit nonce of record n: four zero bytes, then
// n big-endian.
func counterNonce(nonce *[chacha20poly1305.NonceSize]byte, n uint64) []byte {
	binary.BigEndian.PutUint64(nonce[4:], n)
	return nonce[:]
}

// Sealer seals the frames of one direction, counting them. It is not safe
// for concurrent use: one writer at a time.
type Sealer struct {
	aead  cipher.AEAD
	n     uint64
	nonce [chacha20poly1305.NonceSize]byte // in the struct: no allocation per record
}

// Count is how many records have been sealed.
func (s *Sealer) Count() uint64 { return s.n }

// Seal turns a plain TCP frame (4-byte body length, 8-byte header, body;
// transport.AppendTCP's output) into a sealed record in place: the length
// becomes 8 + body + 16, the header and the body are encrypted under the
// next counter nonce with the length as additional data, and the tag is
// appended. The result aliases frame when its capacity allows.
func (s *Sealer) Seal(frame []byte) ([]byte, error) {
	if len(frame) < transport.HeaderTCP {
		return nil, ErrShortRecord
	}
	if s.n == ^uint64(0) {
		return nil, ErrExhausted
	}
	if cap(frame)-len(frame) < Overhead {
		grown := make([]byte, len(frame), len(frame)+Overhead)
		copy(grown, frame)
		frame = grown
	}
	binary.BigEndian.PutUint32(frame[0:4], uint32(len(frame)-4+Overhead))
	nonce := counterNonce(&s.nonce, s.n)
	s.n++
	out := s.aead.Seal(frame[4:4], nonce, frame[4:], frame[0:4])
	return frame[:4+len(out)], nil
}

// Opener opens the records of one direction, counting them. It is not safe
// for concurrent use: one reader.
type Opener struct {
	aead  cipher.AEAD
	n     uint64
	nonce [chacha20poly1305.NonceSize]byte
}

// Count is how many records have been opened.
func (o *Opener) Count() uint64 { return o.n }

// Open authenticates and decrypts a record in place: prefix is its 4-byte
// length, ct the rest. It returns the plain 8-byte header and body. A
// record sealed under another counter (replayed, reordered, a record
// dropped before it) or altered in any byte is ErrOpen; the counter does
// not advance then, and the connection must be closed.
func (o *Opener) Open(prefix, ct []byte) ([]byte, error) {
	if len(ct) < MinRecord {
		return nil, ErrShortRecord
	}
	if o.n == ^uint64(0) {
		return nil, ErrExhausted
	}
	p, err := o.aead.Open(ct[:0], counterNonce(&o.nonce, o.n), ct, prefix)
	if err != nil {
		return nil, ErrOpen
	}
	o.n++
	return p, nil
}

// Reader reads sealed records and returns the frames inside them.
type Reader struct {
	R       io.Reader
	MaxBody int
	Open    *Opener
	// Borrow lets Next open a record inside R's buffer when R is a
	// *bufio.Reader and the record fits: the frame is then valid only until
	// the next call.
	Borrow bool
	hdr    [4]byte
}

// Next reads, authenticates and decodes one frame. The record length is
// checked against MaxBody before anything is allocated; a record that does
// not open is ErrOpen; a stream that ends inside a record is
// io.ErrUnexpectedEOF.
func (r *Reader) Next(buf []byte) (transport.Frame, error) {
	if _, err := io.ReadFull(r.R, r.hdr[:]); err != nil {
		return transport.Frame{}, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	if n < MinRecord {
		return transport.Frame{}, ErrShortRecord
	}
	if uint64(n) > uint64(r.MaxBody)+MinRecord {
		return transport.Frame{}, ErrTooLarge
	}
	var ct []byte
	if br, ok := r.R.(*bufio.Reader); ok && r.Borrow && int(n) <= br.Size() {
		p, err := br.Peek(int(n))
		if err != nil {
			return transport.Frame{}, unexpected(err)
		}
		_, _ = br.Discard(int(n))
		ct = p
	} else {
		if int(n) <= cap(buf) {
			ct = buf[:n]
		} else {
			ct = make([]byte, n)
		}
		if _, err := io.ReadFull(r.R, ct); err != nil {
			return transport.Frame{}, unexpected(err)
		}
	}
	p, err := r.Open.Open(r.hdr[:], ct)
	if err != nil {
		return transport.Frame{}, err
	}
	return transport.DecodeWS(p, r.MaxBody)
}
