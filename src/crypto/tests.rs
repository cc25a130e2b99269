use super::*;

#[test]
fn seal_open_round_trip() {
    let m = MasterKey::from_bytes([7u8; 32]);
    let k = ValueKey::derive(&m, &[1u8; 16]).unwrap();
    let s = k.seal("A", 1, b"hello").unwrap();
    assert_eq!(
        &k.open("A", 1, &s.nonce, &s.ciphertext).unwrap()[..],
        b"hello"
    );
    assert!(k.open("B", 1, &s.nonce, &s.ciphertext).is_err());
    assert!(k.open("A", 2, &s.nonce, &s.ciphertext).is_err());
}
