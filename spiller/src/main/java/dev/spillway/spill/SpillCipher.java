package dev.spillway.spill;

import dev.spillway.errors.SpillException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * AES-256-GCM for the chunks of one query's spill files: a random key drawn when the query's
 * {@link SpillDirectory} is made and held only in this object (never written anywhere), so spill
 * files left by a crash cannot be read by anyone.
 *
 * <p>Nonces are a random 4-byte prefix drawn with the key followed by an 8-byte counter, so no
 * nonce repeats under one key (the counter is per key, not per file). The associated data binds a
 * chunk to its descriptor (codec, raw and stored lengths), its file offset and its file's name,
 * so a chunk moved within or between files fails its tag like a damaged one.
 *
 * <p>Encryption is guarded by the directory's scratch lock (one {@link Cipher} per directory);
 * decryption may run on any number of threads at once (one {@link Cipher} per thread).
 */
final class SpillCipher {
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int KEY_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<Cipher> DECRYPTORS = ThreadLocal.withInitial(SpillCipher::newCipher);

    private final SecretKey key;
    private final int noncePrefix;
    /** Guarded by the owning directory's scratch lock, as is {@link #counter}. */
    private final Cipher encryptor;
    private long counter;

    private SpillCipher(SecretKey key, int noncePrefix) {
        this.key = key;
        this.noncePrefix = noncePrefix;
        this.encryptor = newCipher();
    }

    /** A cipher under a fresh random 256-bit key. */
    static SpillCipher withRandomKey() {
        try {
            KeyGenerator gen = KeyGenerator.getInstance("AES");
            gen.init(KEY_BITS, RANDOM);
            return new SpillCipher(gen.generateKey(), RANDOM.nextInt());
        } catch (GeneralSecurityException e) {
            throw new SpillException("cannot create an AES-" + KEY_BITS + " spill key: " + e, e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new SpillException("this JDK offers no " + TRANSFORMATION + " cipher for spill encryption: " + e, e);
        }
    }

    /**
     * The associated data of a chunk: its descriptor's first 12 bytes (codec, flags, lengths), its
     * offset in the file and the file's name.
     */
    static byte[] associatedData(byte[] descriptor, long chunkOffset, String fileName) {
        byte[] name = fileName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(12 + Long.BYTES + name.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(descriptor, 0, 12).putLong(chunkOffset).put(name);
        return b.array();
    }

    /**
     * Encrypts {@code src} into {@code dst} (which may be the same memory: GCM works in place) and
     * writes the nonce used into {@code nonce}. Call under the directory's scratch lock.
     *
     * @return the bytes written to {@code dst}: {@code src}'s length plus the 16-byte tag
     */
    int encrypt(ByteBuffer src, ByteBuffer dst, byte[] nonce, byte[] aad) {
        ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN).putInt(noncePrefix).putLong(counter++);
        try {
            encryptor.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(SpillFormat.GCM_TAG_BYTES * 8, nonce));
            encryptor.updateAAD(aad);
            return encryptor.doFinal(src, dst);
        } catch (ShortBufferException e) {
            throw new IllegalStateException("spill encryption scratch too small: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SpillException("cannot encrypt a spill chunk: " + e, e);
        }
    }

    /**
     * Decrypts {@code src} (ciphertext and tag) into {@code dst}. Safe from any thread.
     *
     * @return the plaintext bytes written
     * @throws AEADBadTagException when the tag does not match: the chunk, its descriptor, nonce
     *                             or position was changed, or the file is from another query
     */
    int decrypt(byte[] nonce, ByteBuffer src, ByteBuffer dst, byte[] aad) throws AEADBadTagException {
        Cipher c = DECRYPTORS.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(SpillFormat.GCM_TAG_BYTES * 8, nonce));
            c.updateAAD(aad);
            return c.doFinal(src, dst);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (ShortBufferException e) {
            throw new IllegalStateException("spill decryption buffer too small: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SpillException("cannot decrypt a spill chunk: " + e, e);
        }
    }
}
