# An independent check of v1.vectors with the Python "cryptography" package:
#   python3 internal/securetcp/testdata/check_vectors.py internal/securetcp/testdata/v1.vectors
# It rebuilds every value from the inputs following docs/protocol.md only.
import hashlib, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
v={}
for l in open(sys.argv[1]):
    l=l.strip()
    if not l or l.startswith('#'): continue
    k,x=l.split(':'); v[k]=bytes.fromhex(x.strip())
cp=X25519PrivateKey.from_private_bytes(v['client_ephemeral_private'])
sp=X25519PrivateKey.from_private_bytes(v['server_ephemeral_private'])
raw=lambda k: k.public_key().public_bytes_raw()
ch=bytes([1])+raw(cp)+v['client_nonce']
assert v['client_hello_frame']==len(ch).to_bytes(4,'big')+bytes([9,0,0,0,0,0,0,0])+ch
idk=Ed25519PrivateKey.from_private_bytes(v['identity_seed'])
idpub=idk.public_key().public_bytes_raw()
assert idpub==v['identity_public']
signed=bytes([1])+raw(sp)+v['server_nonce']+idpub
sig=idk.sign(b"LordGame TCP key exchange v1\x00"+ch+signed)
sh=signed+sig
assert v['server_hello_frame']==len(sh).to_bytes(4,'big')+bytes([9,0,0,0,0,0,0,0])+sh
shared=cp.exchange(X25519PublicKey.from_public_bytes(raw(sp)))
assert shared==v['shared_secret']
th=hashlib.sha256(ch+sh).digest(); assert th==v['transcript_hash']
k=lambda info: HKDF(hashes.SHA256(),32,th,info).derive(shared)
c2s=k(b"lordgame tcp v1 client to server"); s2c=k(b"lordgame tcp v1 server to client")
assert c2s==v['key_client_to_server'] and s2c==v['key_server_to_client']
def seal(key,n,plain):
    inner=plain[4:]; L=(len(inner)+16).to_bytes(4,'big')
    return L+ChaCha20Poly1305(key).encrypt(bytes(4)+n.to_bytes(8,'big'),inner,L)
assert seal(c2s,0,v['c2s_0_plain'])==v['c2s_0_sealed']
assert seal(c2s,1,v['c2s_1_plain'])==v['c2s_1_sealed']
assert seal(s2c,0,v['s2c_0_plain'])==v['s2c_0_sealed']
print("independent implementation agrees with all vectors")
