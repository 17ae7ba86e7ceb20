#!/usr/bin/env python3
"""An independent client of the KeyGate wire protocol, version 2.

Written from two texts only: the protocol specification ("KeyGate wire
protocol, version 2", copied next to the project as protocol-v2.md) and the
Noise Protocol Framework, revision 34. It shares no code with KeyGate: the
Noise states below are a fresh implementation of Noise sections 5.1-5.3 on
top of the `cryptography` package (X25519, ChaCha20-Poly1305) and the
standard library (SHA-256, HMAC).

Usage:
  keygate_v2_client.py --host H --port P --key-file alice.key [--pattern XX|IK]
                       [--server-key server.pub] COMMAND ...
Commands:
  chat TEXT...          join, say each TEXT, wait for each receipt, ask who, bye
  ftp-list [PATH]       LIST over an NNpsk0 data connection, listing on stdout
  ftp-get NAME          RETR NAME, the file's bytes on stdout
  ftp-put LOCAL NAME    STOR the file LOCAL as NAME
  keygen PATH           write a new private key to PATH and its public key to PATH.pub
  public-key PATH       print the public key line of the private key in PATH

Every JSON object the server sends (grant, chat messages) is printed on one
line (stdout for chat, stderr for ftp-* so that stdout carries only data).
Exit status: 0 success, 2 the server denied the session (its JSON is
printed), 1 any other failure, with a message on stderr.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import socket
import struct
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


class ProtocolError(Exception):
    """The peer broke the protocol, or a connection failed."""


class Denied(Exception):
    """The server answered with a denial object."""

    def __init__(self, obj):
        super().__init__(obj.get("error", "denied"))
        self.obj = obj


# ---------------------------------------------------------------------------
# Noise Protocol Framework, revision 34, for 25519 / ChaChaPoly / SHA256.

DHLEN = 32
HASHLEN = 32
MAX_NONCE = 2**64 - 1


class KeyPair:
    """An X25519 key pair (Noise 4.1 GENERATE_KEYPAIR)."""

    def __init__(self, private_bytes=None):
        if private_bytes is None:
            self.private = X25519PrivateKey.generate()
        else:
            self.private = X25519PrivateKey.from_private_bytes(bytes(private_bytes))
        self.private_bytes = self.private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        self.public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(key_pair, public_key):
    """Noise 4.1 DH(); protocol v2 3.6: an all-zero result fails the handshake."""
    try:
        out = key_pair.private.exchange(X25519PublicKey.from_public_bytes(bytes(public_key)))
    except ValueError as error:  # the library refuses small-order points itself
        raise ProtocolError("X25519 result is all zeros: %s" % error)
    if out == bytes(DHLEN):
        raise ProtocolError("X25519 result is all zeros")
    return out


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def noise_hkdf(chaining_key, input_key_material, num_outputs):
    """Noise 4.3 HKDF(): two or three HASHLEN outputs."""
    temp_key = hmac_sha256(chaining_key, input_key_material)
    output1 = hmac_sha256(temp_key, b"\x01")
    output2 = hmac_sha256(temp_key, output1 + b"\x02")
    if num_outputs == 2:
        return output1, output2
    output3 = hmac_sha256(temp_key, output2 + b"\x03")
    return output1, output2, output3


def chachapoly_nonce(n):
    # Noise 12.3 (ChaChaPoly): 32 bits of zeros, then the 64-bit n little-endian.
    return b"\x00" * 4 + struct.pack("<Q", n)


class CipherState:
    """Noise 5.1."""

    def __init__(self, key=None):
        self.k = key
        self.n = 0

    def has_key(self):
        return self.k is not None

    def encrypt_with_ad(self, ad, plaintext):
        if self.k is None:
            return bytes(plaintext)
        if self.n == MAX_NONCE:
            raise ProtocolError("nonce exhausted")
        out = ChaCha20Poly1305(self.k).encrypt(chachapoly_nonce(self.n), bytes(plaintext), bytes(ad))
        self.n += 1
        return out

    def decrypt_with_ad(self, ad, ciphertext):
        if self.k is None:
            return bytes(ciphertext)
        if self.n == MAX_NONCE:
            raise ProtocolError("nonce exhausted")
        try:
            out = ChaCha20Poly1305(self.k).decrypt(chachapoly_nonce(self.n), bytes(ciphertext), bytes(ad))
        except InvalidTag:
            # Noise 5.1: n is not incremented when authentication fails.
            raise ProtocolError("decryption failed (bad tag)")
        self.n += 1
        return out

    def encrypt(self, plaintext):
        return self.encrypt_with_ad(b"", plaintext)

    def decrypt(self, ciphertext):
        return self.decrypt_with_ad(b"", ciphertext)


class SymmetricState:
    """Noise 5.2."""

    def __init__(self, protocol_name):
        name = protocol_name.encode("ascii")
        if len(name) <= HASHLEN:
            self.h = name + bytes(HASHLEN - len(name))
        else:
            self.h = sha256(name)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, input_key_material):
        self.ck, temp_k = noise_hkdf(self.ck, input_key_material, 2)
        self.cipher = CipherState(temp_k)

    def mix_hash(self, data):
        self.h = sha256(self.h + bytes(data))

    def mix_key_and_hash(self, input_key_material):
        self.ck, temp_h, temp_k = noise_hkdf(self.ck, input_key_material, 3)
        self.mix_hash(temp_h)
        self.cipher = CipherState(temp_k)

    def encrypt_and_hash(self, plaintext):
        ciphertext = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext):
        plaintext = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self):
        temp_k1, temp_k2 = noise_hkdf(self.ck, b"", 2)
        return CipherState(temp_k1), CipherState(temp_k2)


# Noise 7.4 / 7.5 / 9.4: (pre-messages of initiator, of responder), messages.
PATTERNS = {
    "NN": (([], []), [["e"], ["e", "ee"]]),
    "XX": (([], []), [["e"], ["e", "ee", "s", "es"], ["s", "se"]]),
    "IK": (([], ["s"]), [["e", "es", "s", "ss"], ["e", "ee", "se"]]),
    "NNpsk0": (([], []), [["psk", "e"], ["e", "ee"]]),
}

PROTOCOL_NAME = re.compile(r"^Noise_([A-Za-z0-9]+)_25519_ChaChaPoly_SHA256$")


class HandshakeState:
    """Noise 5.3 for the patterns in PATTERNS.

    `e` may be given (a KeyPair) to replay fixed vectors; otherwise a fresh
    ephemeral key is generated when the pattern asks for one.
    """

    def __init__(self, protocol_name, initiator, prologue=b"", s=None, e=None, rs=None, re_=None, psks=()):
        match = PROTOCOL_NAME.match(protocol_name)
        if not match or match.group(1) not in PATTERNS:
            raise ProtocolError("unsupported protocol name %r" % protocol_name)
        pattern = match.group(1)
        (pre_initiator, pre_responder), messages = PATTERNS[pattern]
        self.protocol_name = protocol_name
        self.initiator = initiator
        self.s, self.e, self.rs, self.re = s, e, rs, re_
        self.fixed_e = e
        self.psks = list(psks)
        self.psk_mode = "psk" in pattern
        self.messages = [list(m) for m in messages]
        self.index = 0
        self.symmetric = SymmetricState(protocol_name)
        self.symmetric.mix_hash(prologue)
        # Noise 7.1: pre-message keys are hashed, initiator's first.
        for token in pre_initiator:
            self.symmetric.mix_hash(self._public("s", initiator_side=True))
        for token in pre_responder:
            self.symmetric.mix_hash(self._public("s", initiator_side=False))

    def _public(self, which, initiator_side):
        local = initiator_side == self.initiator
        if which == "s":
            key = self.s.public if local else self.rs
        else:
            key = self.e.public if local else self.re
        if key is None:
            raise ProtocolError("pre-message key %s missing" % which)
        return key

    def is_finished(self):
        return self.index >= len(self.messages)

    def my_turn(self):
        return (self.index % 2 == 0) == self.initiator

    def handshake_hash(self):
        return self.symmetric.h

    def _dh_token(self, token):
        # Noise 5.3: "es" is DH(e, rs) for the initiator, DH(s, re) for the responder, etc.
        first, second = token[0], token[1]
        initiator_key, responder_key = first, second
        if self.initiator:
            local, remote = initiator_key, responder_key
        else:
            local, remote = responder_key, initiator_key
        local_pair = self.e if local == "e" else self.s
        remote_public = self.re if remote == "e" else self.rs
        if local_pair is None or remote_public is None:
            raise ProtocolError("missing key for token %s" % token)
        self.symmetric.mix_key(dh(local_pair, remote_public))

    def _next_psk(self):
        if not self.psks:
            raise ProtocolError("psk token but no psk")
        psk = bytes(self.psks.pop(0))
        if len(psk) != 32:
            raise ProtocolError("psk must be 32 bytes")
        return psk

    def write_message(self, payload=b""):
        if self.is_finished() or not self.my_turn():
            raise ProtocolError("not our turn to write")
        out = bytearray()
        for token in self.messages[self.index]:
            if token == "e":
                if self.e is None:
                    self.e = KeyPair()
                out += self.e.public
                self.symmetric.mix_hash(self.e.public)
                if self.psk_mode:
                    self.symmetric.mix_key(self.e.public)  # Noise 9.2
            elif token == "s":
                out += self.symmetric.encrypt_and_hash(self.s.public)
            elif token == "psk":
                self.symmetric.mix_key_and_hash(self._next_psk())
            else:
                self._dh_token(token)
        out += self.symmetric.encrypt_and_hash(payload)
        self.index += 1
        return bytes(out)

    def read_message(self, message):
        if self.is_finished() or self.my_turn():
            raise ProtocolError("not our turn to read")
        message = bytes(message)
        offset = 0
        for token in self.messages[self.index]:
            if token == "e":
                if len(message) - offset < DHLEN:
                    raise ProtocolError("handshake message too short for e")
                self.re = message[offset:offset + DHLEN]
                offset += DHLEN
                self.symmetric.mix_hash(self.re)
                if self.psk_mode:
                    self.symmetric.mix_key(self.re)  # Noise 9.2
            elif token == "s":
                length = DHLEN + (16 if self.symmetric.cipher.has_key() else 0)
                if len(message) - offset < length:
                    raise ProtocolError("handshake message too short for s")
                self.rs = self.symmetric.decrypt_and_hash(message[offset:offset + length])
                offset += length
            elif token == "psk":
                self.symmetric.mix_key_and_hash(self._next_psk())
            else:
                self._dh_token(token)
        payload = self.symmetric.decrypt_and_hash(message[offset:])
        self.index += 1
        return payload

    def split(self):
        """(initiator->responder, responder->initiator) CipherStates."""
        if not self.is_finished():
            raise ProtocolError("handshake not finished")
        return self.symmetric.split()


# ---------------------------------------------------------------------------
# KeyGate v2 wire details.

CONTROL_PROLOGUE_PREFIX = b"KeyGate/2\x00"          # section 3.2
DATA_PROLOGUE = b"KeyGate/2 ftp-data"              # section 6
MAX_FRAME = 65535                                  # section 1
MAX_PLAINTEXT = MAX_FRAME - 16
RESUME = b"RESUME"                                 # section 4.1
RETRY_PAUSE = 0.1                                  # sections 4.4 and 6: at least 100 ms
RETRY_WINDOW = 30.0                                # sections 4.4 and 6
ACK_TIMEOUT = 5.0                                  # section 4.4
IO_TIMEOUT = 10.0


def control_prologue(protocol_name):
    return CONTROL_PROLOGUE_PREFIX + protocol_name.encode("utf-8")


def data_psk(data_key, passive_number):
    """Section 6: HMAC-SHA256(data_key, "ftp-data" || 8-byte BE passive number)."""
    return hmac_sha256(bytes(data_key), b"ftp-data" + struct.pack(">Q", passive_number))


def frame(payload):
    if len(payload) > MAX_FRAME:
        raise ProtocolError("frame too long: %d bytes" % len(payload))
    return struct.pack(">H", len(payload)) + bytes(payload)


def ik_payload(timestamp_us, service):
    """Section 3.3: 8-byte BE microseconds since the epoch, then the service name."""
    return struct.pack(">Q", timestamp_us) + service.encode("utf-8")


class Connection:
    """A TCP connection carrying section 1 frames."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    @classmethod
    def open(cls, host, port, timeout=IO_TIMEOUT):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(timeout)
        return cls(sock)

    def send_frame(self, payload):
        self.sock.sendall(frame(payload))

    def _fill(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read_frame(self):
        """The next frame's payload; None on EOF between frames."""
        if not self._fill(1):
            return None
        if not self._fill(2):
            raise ProtocolError("EOF inside a frame header")
        (length,) = struct.unpack(">H", self.buffer[:2])
        if not self._fill(2 + length):
            raise ProtocolError("EOF inside a frame")
        payload = self.buffer[2:2 + length]
        self.buffer = self.buffer[2 + length:]
        return payload

    def require_frame(self, what):
        payload = self.read_frame()
        if payload is None:
            raise ProtocolError("connection closed before %s" % what)
        return payload

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Transport:
    """Both transport CipherStates of one side, over a connection."""

    def __init__(self, connection, send, receive):
        self.connection = connection
        self.send_cipher = send
        self.receive_cipher = receive

    def send(self, plaintext):
        if len(plaintext) > MAX_PLAINTEXT:
            raise ProtocolError("transport message too long")
        self.connection.send_frame(self.send_cipher.encrypt(plaintext))

    def receive(self, what):
        return self.receive_cipher.decrypt(self.connection.require_frame(what))

    def receive_or_eof(self):
        payload = self.connection.read_frame()
        return None if payload is None else self.receive_cipher.decrypt(payload)


# ---------------------------------------------------------------------------
# Key files (section 8).

def _b64decode(text):
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def read_key_line(path):
    """(algorithm, raw key bytes, comment) of the first key line in `path`."""
    with open(path, "r", encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 2:
                raise ProtocolError("%s: a key line is '<algorithm> <base64> [comment]'" % path)
            algorithm = parts[0]
            if algorithm != "x25519":
                raise ProtocolError("%s: algorithm %s is not supported by this client (x25519 only)" % (path, algorithm))
            key = _b64decode(parts[1])
            if len(key) != 32:
                raise ProtocolError("%s: an x25519 key is 32 bytes, found %d" % (path, len(key)))
            return algorithm, key, parts[2] if len(parts) > 2 else ""
    raise ProtocolError("%s: no key line" % path)


def key_line(key, comment=""):
    text = "x25519 " + base64.b64encode(key).decode("ascii")
    return text + (" " + comment if comment else "")


def fingerprint(public_key):
    return "SHA256:" + base64.b64encode(sha256(public_key)).decode("ascii").rstrip("=")


# ---------------------------------------------------------------------------
# The control connection and the data-port move (sections 3 and 4).

class Session:
    """A granted, resumed session: its transport on the data port."""

    def __init__(self, grant, transport, first_message, handshake_hash, server_key):
        self.grant = grant
        self.transport = transport
        self.first_message = first_message
        self.handshake_hash = handshake_hash
        self.server_key = server_key


def log(verbose, text):
    if verbose:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def control_handshake(host, port, static, pattern, service, server_key=None, timestamp_us=None,
                      ephemeral=None, verbose=False):
    """Runs sections 3.1-3.5; returns (grant, initiator->responder cipher, h, server static)."""
    protocol_name = "Noise_%s_25519_ChaChaPoly_SHA256" % pattern
    if pattern == "IK" and server_key is None:
        raise ProtocolError("IK needs the server's public key (--server-key)")
    connection = Connection.open(host, port)
    try:
        connection.send_frame(protocol_name.encode("utf-8"))  # section 3.1
        state = HandshakeState(protocol_name, True, control_prologue(protocol_name), s=static,
                               e=ephemeral, rs=server_key if pattern == "IK" else None)
        if pattern == "XX":
            connection.send_frame(state.write_message(b""))
            payload = state.read_message(connection.require_frame("XX message 2"))
            if payload:
                raise ProtocolError("XX message 2 payload is not empty (%d bytes)" % len(payload))
            # Section 9: check the pin before message 3, so a wrong server
            # never learns who we are.
            if server_key is not None and not hmac.compare_digest(state.rs, server_key):
                raise ProtocolError("server key %s does not match the pinned key %s"
                                    % (fingerprint(state.rs), fingerprint(server_key)))
            connection.send_frame(state.write_message(service.encode("utf-8")))
        elif pattern == "IK":
            stamp = int(time.time() * 1_000_000) if timestamp_us is None else timestamp_us
            connection.send_frame(state.write_message(ik_payload(stamp, service)))
            message2 = connection.read_frame()
            if message2 is None:
                raise ProtocolError("server closed the connection after IK message 1 (refused or replayed)")
            payload = state.read_message(message2)
            if payload:
                raise ProtocolError("IK message 2 payload is not empty (%d bytes)" % len(payload))
        else:
            raise ProtocolError("pattern must be XX or IK")
        send, receive = state.split()
        h = state.handshake_hash()
        log(verbose, "handshake hash %s, server key %s" % (h.hex(), fingerprint(state.rs)))
        first = connection.read_frame()
        if first is None:
            raise ProtocolError("server closed the connection without a grant or denial")
        text = receive.decrypt(first)
        log(verbose, "server: %s" % text.decode("utf-8", "replace"))
        grant = json.loads(text.decode("utf-8"))
        if not isinstance(grant, dict) or "ok" not in grant:
            raise ProtocolError("first transport message is not a grant or denial: %r" % text)
        if grant["ok"] is not True:
            raise Denied(grant)
        # Section 3.5: after a grant the server closes the control connection.
        return grant, send, receive, h, state.rs
    finally:
        connection.close()


def resume(host, grant, send, receive, verbose=False):
    """Section 4: moves to the data port; returns (transport, first service message)."""
    port = grant.get("port")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ProtocolError("grant has no valid port: %r" % grant)
    granted_at = time.monotonic()
    resume_frame = send.encrypt(RESUME)  # nonce 0, the same bytes on every attempt
    attempt = 0
    while True:
        attempt += 1
        connection = None
        try:
            connection = Connection.open(host, port, timeout=ACK_TIMEOUT)
            connection.send_frame(resume_frame)
            first = connection.read_frame()
            if first is None:
                raise ConnectionResetError("closed before the acknowledgement")
        except socket.timeout:
            if connection:
                connection.close()
            raise ProtocolError("no acknowledgement within %.0f s on data port %d" % (ACK_TIMEOUT, port))
        except (ConnectionError, OSError) as error:
            if connection:
                connection.close()
            if time.monotonic() - granted_at + RETRY_PAUSE > RETRY_WINDOW:
                raise ProtocolError("data port %d: %s; gave up after %d attempts" % (port, error, attempt))
            log(verbose, "data port %d attempt %d: %s; retrying" % (port, attempt, error))
            time.sleep(RETRY_PAUSE)
            continue
        connection.sock.settimeout(IO_TIMEOUT)
        transport = Transport(connection, send, receive)
        return transport, receive.decrypt(first)


def open_session(args, service):
    static = KeyPair(read_key_line(args.key_file)[1])
    server_key = read_key_line(args.server_key)[1] if args.server_key else None
    ephemeral = KeyPair(bytes.fromhex(args.fixed_ephemeral)) if args.fixed_ephemeral else None
    grant, send, receive, h, rs = control_handshake(
        args.host, args.port, static, args.pattern, service, server_key=server_key,
        timestamp_us=args.ik_timestamp, ephemeral=ephemeral, verbose=args.verbose)
    transport, first = resume(args.host, grant, send, receive, verbose=args.verbose)
    return Session(grant, transport, first, h, rs)


# ---------------------------------------------------------------------------
# Chat (section 5).

def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def run_chat(args, out):
    session = open_session(args, "chat")
    out(compact(session.grant))
    name = session.grant.get("name")
    joined = json.loads(session.first_message.decode("utf-8"))
    out(compact(joined))
    # Section 9: the joiner's own `joined` is the first message it receives.
    if joined.get("type") != "joined" or joined.get("name") != name:
        raise ProtocolError("first chat message is not our own joined: %r" % joined)
    transport = session.transport
    last_seq = None
    for text in args.texts:
        transport.send(compact({"type": "say", "text": text}).encode("utf-8"))
        while True:
            message = json.loads(transport.receive("the receipt of say").decode("utf-8"))
            out(compact(message))
            if message.get("type") == "error":
                raise ProtocolError("server error for say: %s" % message.get("error"))
            if message.get("type") == "msg" and message.get("from") == name and message.get("text") == text:
                seq = message.get("seq")
                if not isinstance(seq, int) or (last_seq is not None and seq <= last_seq):
                    raise ProtocolError("receipt seq %r does not increase after %r" % (seq, last_seq))
                last_seq = seq
                break
    transport.send(compact({"type": "who"}).encode("utf-8"))
    while True:
        message = json.loads(transport.receive("the who reply").decode("utf-8"))
        out(compact(message))
        if message.get("type") == "who":
            if name not in message.get("names", []):
                raise ProtocolError("who does not list us: %r" % message)
            break
    transport.send(compact({"type": "bye"}).encode("utf-8"))
    transport.connection.close()


# ---------------------------------------------------------------------------
# FTP (section 6).

EPSV_PORT = re.compile(r"\(\|\|\|(\d+)\|\)")
PASV_ADDRESS = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


class FTPSession:
    def __init__(self, args, session, err):
        self.args = args
        self.host = args.host
        self.session = session
        self.err = err
        data_key_text = session.grant.get("data_key")
        if not isinstance(data_key_text, str) or len(data_key_text) != 44:
            raise ProtocolError("ftp grant lacks a 44-character data_key: %r" % session.grant)
        self.data_key = base64.b64decode(data_key_text, validate=True)
        if len(self.data_key) != 32:
            raise ProtocolError("data_key is not 32 bytes")
        self.passive_count = 0
        greeting = self.reply_text(session.first_message)
        err("< " + greeting)
        if not greeting.startswith("220"):
            raise ProtocolError("FTP session did not start with 220: %r" % greeting)

    @staticmethod
    def reply_text(payload):
        text = payload.decode("utf-8")
        # Section 9: replies carry no trailing CRLF; readers tolerate one.
        return text[:-2] if text.endswith("\r\n") else text

    def command(self, line):
        self.err("> " + line)
        self.session.transport.send(line.encode("utf-8"))
        return self.reply()

    def reply(self):
        text = self.reply_text(self.session.transport.receive("an FTP reply"))
        self.err("< " + text.replace("\r\n", "\\r\\n"))
        if len(text) < 3 or not text[:3].isdigit():
            raise ProtocolError("malformed FTP reply %r" % text)
        return int(text[:3]), text

    def passive(self):
        """EPSV (or PASV); returns (port, passive number, time of the reply)."""
        if self.args.pasv:
            code, text = self.command("PASV")
            if code != 227:
                raise ProtocolError("PASV answered %r" % text)
            match = PASV_ADDRESS.search(text)
            if not match:
                raise ProtocolError("227 without an address: %r" % text)
            port = int(match.group(5)) * 256 + int(match.group(6))
        else:
            code, text = self.command("EPSV")
            if code != 229:
                raise ProtocolError("EPSV answered %r" % text)
            match = EPSV_PORT.search(text)
            if not match:
                raise ProtocolError("229 without (|||port|): %r" % text)
            port = int(match.group(1))
        # Section 6: only passive commands answered 227/229 are counted, from 1.
        self.passive_count += 1
        return port, self.passive_count, time.monotonic()

    def data_connection(self, port, number, replied_at):
        """Section 6: NNpsk0 on the passive port; returns a Transport (client side)."""
        protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
        psk = data_psk(self.data_key, number)
        attempt = 0
        while True:
            attempt += 1
            connection = None
            try:
                connection = Connection.open(self.host, port)
                state = HandshakeState(protocol_name, True, DATA_PROLOGUE, psks=[psk])
                connection.send_frame(state.write_message(b""))
                message2 = connection.read_frame()
                if message2 is None:
                    raise ConnectionResetError("closed before NNpsk0 message 2")
            except (ConnectionError, OSError) as error:
                if isinstance(error, socket.timeout):
                    raise ProtocolError("data port %d: no NNpsk0 message 2 in time" % port)
                if connection:
                    connection.close()
                if time.monotonic() - replied_at + RETRY_PAUSE > RETRY_WINDOW:
                    raise ProtocolError("data port %d: %s" % (port, error))
                time.sleep(RETRY_PAUSE)
                continue
            payload = state.read_message(message2)
            if payload:
                raise ProtocolError("NNpsk0 message 2 payload is not empty (%d bytes)" % len(payload))
            send, receive = state.split()
            return Transport(connection, send, receive)

    def receive_data(self, data):
        chunks = []
        while True:
            payload = data.receive_or_eof()
            if payload is None:
                raise ProtocolError("data connection closed without end-of-data")
            if len(payload) == 0:
                break
            chunks.append(payload)
        data.connection.close()
        return b"".join(chunks)

    def send_data(self, data, content):
        for start in range(0, len(content), MAX_PLAINTEXT):
            data.send(content[start:start + MAX_PLAINTEXT])
        data.send(b"")
        data.connection.close()

    def transfer(self, command, upload=None):
        port, number, replied_at = self.passive()
        data = None
        if self.args.connect_first:
            data = self.data_connection(port, number, replied_at)
        code, text = self.command(command)
        if code != 150:
            if data:
                data.connection.close()
            raise ProtocolError("%s answered %r" % (command, text))
        if data is None:
            data = self.data_connection(port, number, replied_at)
        if upload is None:
            content = self.receive_data(data)
        else:
            self.send_data(data, upload)
            content = None
        code, text = self.reply()
        if code != 226:
            raise ProtocolError("%s ended with %r" % (command, text))
        return content

    def quit(self):
        code, text = self.command("QUIT")
        self.session.transport.connection.close()
        if code != 221:
            raise ProtocolError("QUIT answered %r" % text)


def run_ftp(args, out_bytes, err):
    session = open_session(args, "ftp")
    err(compact(session.grant))
    ftp = FTPSession(args, session, err)
    if args.command == "ftp-list":
        out_bytes(ftp.transfer("LIST" + (" " + args.path if args.path else "")))
    elif args.command == "ftp-get":
        out_bytes(ftp.transfer("RETR " + args.name))
    elif args.command == "ftp-put":
        with open(args.local, "rb") as handle:
            content = handle.read()
        ftp.transfer("STOR " + args.name, upload=content)
    ftp.quit()


# ---------------------------------------------------------------------------

def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Independent KeyGate protocol v2 client.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7700)
    parser.add_argument("--key-file", help="the client's private key file (section 8)")
    parser.add_argument("--pattern", choices=["XX", "IK"], default="XX")
    parser.add_argument("--server-key", help="the server's public key file: pinned for XX, required for IK")
    parser.add_argument("--pasv", action="store_true", help="PASV instead of EPSV")
    parser.add_argument("--connect-first", action="store_true",
                        help="open the data connection before sending the transfer command")
    parser.add_argument("--ik-timestamp", type=int, help="IK message 1 timestamp in microseconds (tests)")
    parser.add_argument("--fixed-ephemeral", help="hex private ephemeral key (tests only)")
    parser.add_argument("--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat")
    chat.add_argument("texts", nargs="*")
    listing = commands.add_parser("ftp-list")
    listing.add_argument("path", nargs="?")
    get = commands.add_parser("ftp-get")
    get.add_argument("name")
    put = commands.add_parser("ftp-put")
    put.add_argument("local")
    put.add_argument("name")
    keygen = commands.add_parser("keygen")
    keygen.add_argument("path")
    keygen.add_argument("--comment", default="")
    public = commands.add_parser("public-key")
    public.add_argument("path")
    public.add_argument("--comment", default="")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)

    def out(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def err(line):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def out_bytes(data):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

    try:
        if args.command == "keygen":
            pair = KeyPair()
            descriptor = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(key_line(pair.private_bytes, args.comment) + "\n")
            with open(args.path + ".pub", "w") as handle:
                handle.write(key_line(pair.public, args.comment) + "\n")
            out(key_line(pair.public, args.comment))
            return 0
        if args.command == "public-key":
            out(key_line(KeyPair(read_key_line(args.path)[1]).public, args.comment))
            return 0
        if not args.key_file:
            raise ProtocolError("--key-file is required")
        if args.command == "chat":
            run_chat(args, out)
        else:
            run_ftp(args, out_bytes, err if args.verbose else (lambda line: None))
        return 0
    except Denied as denial:
        out(compact(denial.obj))
        err("keygate_v2_client: denied: %s" % denial)
        return 2
    except (ProtocolError, OSError, ValueError, UnicodeDecodeError) as error:
        err("keygate_v2_client: %s" % error)
        return 1


if __name__ == "__main__":
    sys.exit(main())
