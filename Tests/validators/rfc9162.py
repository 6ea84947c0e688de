#!/usr/bin/env python3
"""Independent RFC 9162 §2.1 proof verifier, written from the RFC text (not from ZeroTrip's Swift code).

Usage: rfc9162.py inclusion LEAF_HASH_B64 INDEX SIZE ROOT_B64 PROOF_B64...
       rfc9162.py consistency FIRST SECOND FIRST_ROOT_B64 SECOND_ROOT_B64 PROOF_B64...
       rfc9162.py leaf ENTRY_B64            (prints the leaf hash, base64)
Exit 0 when the proof verifies, 1 when it does not.
"""
import base64, hashlib, sys

def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()

def verify_inclusion(leaf_hash, index, size, path, root):
    # RFC 9162 §2.1.3.2
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root

def verify_consistency(first, second, first_hash, second_hash, path):
    # RFC 9162 §2.1.4.2
    if first == second:
        return not path and first_hash == second_hash
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    if fn & 1:
        while fn & 1:
            fn >>= 1
            sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0

def b(text):
    return base64.b64decode(text)

if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "leaf":
        print(base64.b64encode(hashlib.sha256(b"\x00" + b(sys.argv[2])).digest()).decode())
        sys.exit(0)
    if kind == "inclusion":
        ok = verify_inclusion(b(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), [b(x) for x in sys.argv[6:]], b(sys.argv[5]))
    else:
        ok = verify_consistency(int(sys.argv[2]), int(sys.argv[3]), b(sys.argv[4]), b(sys.argv[5]), [b(x) for x in sys.argv[6:]])
    print("ok" if ok else "FAIL")
    sys.exit(0 if ok else 1)
