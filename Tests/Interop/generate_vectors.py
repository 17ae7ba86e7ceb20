#!/usr/bin/env python3
"""Deterministic KeyGate protocol v2 vectors, from the independent client.

Runs both roles of each handshake with the fixed keys below, using the
Noise states of keygate_v2_client.py (written from the specifications, not
from KeyGate's sources), and writes every byte that goes on the wire:

- control connections (sections 1-4): XX with service "chat" and IK with
  service "ftp" and a fixed timestamp; the negotiation frame, the prologue,
  each handshake message and its frame, the handshake hash, and the first
  transport messages of both directions (the grant, RESUME, the service's
  first message, the client's first request) with their nonces;
- an FTP data connection (section 6): NNpsk0 with a fixed data_key and
  passive number 1; the psk, both messages, a data message, the empty
  end-of-data message, and a message of an upload;
- psk values for a few passive numbers.

Usage:
  generate_vectors.py [--output FILE]      write the JSON (default: stdout)
  generate_vectors.py --check FILE         exit 1 unless FILE holds exactly what this writes
  generate_vectors.py --check-noise FILE   replay cacophony-format Noise vectors (the XX, IK,
                                           NN and NNpsk0 ones) to check the Noise states first
"""

import argparse
import base64
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keygate_v2_client as kg  # noqa: E402

# Fixed keys: SHA-256 of "KeyGate v2 vector: <label>", written out here so
# the vectors never depend on anything but this file.
CLIENT_STATIC = "370b4c2739599cb184034c4348fa57fe2fb2c3a5cd675a619514486b9f0d50ef"
SERVER_STATIC = "eb6f6590d0f0ab78d9be50786a30c12520880ed3e9ad0bc61b766189cc18251d"
CLIENT_EPHEMERAL_XX = "6888cff6c021ad51a988eb04d891f4cf3214d4170fb84cf4a3884294a04e6d09"
SERVER_EPHEMERAL_XX = "6bef2022923717b20ffb744898728912bb9d978bce765896bcb1b5f1b7486877"
CLIENT_EPHEMERAL_IK = "1ab9ee21c1892523ba85d6deafba3d8ce2bdd1531e6ccebc4c5846d618b20b64"
SERVER_EPHEMERAL_IK = "fcd4a90f4e521b143140b0f1bfebeed2f7002f8c7864b76a5838495a487bfd93"
DATA_INITIATOR_EPHEMERAL = "c872e59a7ab91e5ab0c0b118b3c7fc689261d64d1d6d2873ac75e08f713ef5e4"
DATA_RESPONDER_EPHEMERAL = "3afac07965995234b154e19602635681754b45b384c89832ef533c6e9120ecca"
DATA_KEY = "a0a7d019628b39c98f77ceb802259d648851080a3f4f1b67acadbebf5feae6a1"

# 2025-01-01T00:00:00Z plus 123456 microseconds, in microseconds since 1970.
IK_TIMESTAMP_US = 1_735_689_600_123_456
CLIENT_NAME = "alice"
DATA_PORT = 7742


def hexs(data):
    return bytes(data).hex()


def pair(private_hex):
    return kg.KeyPair(bytes.fromhex(private_hex))


def grant_json(service):
    grant = {"ok": True, "port": DATA_PORT, "name": CLIENT_NAME}
    if service == "ftp":
        grant["data_key"] = base64.b64encode(bytes.fromhex(DATA_KEY)).decode("ascii")
    return kg.compact(grant).encode("utf-8")


def service_first_message(service):
    if service == "chat":
        return kg.compact({"type": "joined", "name": CLIENT_NAME}).encode("utf-8")
    return ("220 KeyGate FTP ready; logged in as %s by key" % CLIENT_NAME).encode("utf-8")


def client_first_request(service):
    if service == "chat":
        return kg.compact({"type": "say", "text": "hello"}).encode("utf-8")
    return b"EPSV"


def transport_entry(sender, cipher, plaintext, note):
    nonce = cipher.n
    ciphertext = cipher.encrypt(plaintext)
    return {
        "sender": sender,
        "nonce": nonce,
        "note": note,
        "plaintext": hexs(plaintext),
        "ciphertext": hexs(ciphertext),
        "frame": hexs(kg.frame(ciphertext)),
    }


def control_vector(pattern, service, client_ephemeral, server_ephemeral, timestamp_us=None):
    protocol_name = "Noise_%s_25519_ChaChaPoly_SHA256" % pattern
    prologue = kg.control_prologue(protocol_name)
    client_static, server_static = pair(CLIENT_STATIC), pair(SERVER_STATIC)
    client_e, server_e = pair(client_ephemeral), pair(server_ephemeral)
    initiator = kg.HandshakeState(protocol_name, True, prologue, s=client_static, e=pair(client_ephemeral),
                                  rs=server_static.public if pattern == "IK" else None)
    responder = kg.HandshakeState(protocol_name, False, prologue, s=server_static, e=pair(server_ephemeral))
    if pattern == "XX":
        payloads = [("client", b""), ("server", b""), ("client", service.encode("utf-8"))]
    else:
        payloads = [("client", kg.ik_payload(timestamp_us, service)), ("server", b"")]
    messages = []
    for sender, payload in payloads:
        writer, reader = (initiator, responder) if sender == "client" else (responder, initiator)
        message = writer.write_message(payload)
        if reader.read_message(message) != payload:
            raise SystemExit("payload did not survive its own handshake")
        messages.append({"sender": sender, "payload": hexs(payload), "message": hexs(message),
                         "frame": hexs(kg.frame(message))})
    if initiator.handshake_hash() != responder.handshake_hash():
        raise SystemExit("the two sides disagree on h")
    client_send, client_receive = initiator.split()
    server_receive, server_send = responder.split()
    transport = [
        transport_entry("server", server_send, grant_json(service), "section 3.5: the grant"),
        transport_entry("client", client_send, kg.RESUME, "section 4.1: RESUME on the data port"),
        transport_entry("server", server_send, service_first_message(service),
                        "section 4.4: the service's first message, the acknowledgement"),
        transport_entry("client", client_send, client_first_request(service), "the client's first request"),
    ]
    # Both sides' copies of each CipherState must agree: decrypt with the peer's.
    for entry in transport:
        cipher = client_receive if entry["sender"] == "server" else server_receive
        if cipher.decrypt(bytes.fromhex(entry["ciphertext"])) != bytes.fromhex(entry["plaintext"]):
            raise SystemExit("transport message did not decrypt on the other side")
    vector = {
        "name": "%s %s" % (pattern, service),
        "protocol_name": protocol_name,
        "negotiation_frame": hexs(kg.frame(protocol_name.encode("utf-8"))),
        "prologue": hexs(prologue),
        "service": service,
        "timestamp_us": timestamp_us,
        "client_static_private": CLIENT_STATIC,
        "client_static_public": hexs(client_static.public),
        "server_static_private": SERVER_STATIC,
        "server_static_public": hexs(server_static.public),
        "client_ephemeral_private": client_ephemeral,
        "client_ephemeral_public": hexs(client_e.public),
        "server_ephemeral_private": server_ephemeral,
        "server_ephemeral_public": hexs(server_e.public),
        "messages": messages,
        "handshake_hash": hexs(initiator.handshake_hash()),
        "transport": transport,
    }
    return vector


def data_vector(passive_number):
    protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
    data_key = bytes.fromhex(DATA_KEY)
    psk_message = b"ftp-data" + struct.pack(">Q", passive_number)
    psk = kg.data_psk(data_key, passive_number)
    initiator = kg.HandshakeState(protocol_name, True, kg.DATA_PROLOGUE, e=pair(DATA_INITIATOR_EPHEMERAL), psks=[psk])
    responder = kg.HandshakeState(protocol_name, False, kg.DATA_PROLOGUE, e=pair(DATA_RESPONDER_EPHEMERAL), psks=[psk])
    messages = []
    for sender in ["client", "server"]:
        writer, reader = (initiator, responder) if sender == "client" else (responder, initiator)
        message = writer.write_message(b"")
        if reader.read_message(message) != b"":
            raise SystemExit("data handshake payload not empty")
        messages.append({"sender": sender, "payload": "", "message": hexs(message), "frame": hexs(kg.frame(message))})
    client_send, client_receive = initiator.split()
    server_receive, server_send = responder.split()
    download = b"KeyGate v2 data connection vector\r\n"
    upload = b"an uploaded file's first bytes"
    transport = [
        transport_entry("server", server_send, download, "RETR: the first data message"),
        transport_entry("server", server_send, b"", "RETR: the empty end-of-data message"),
        transport_entry("client", client_send, upload, "STOR (on a connection like this one): the first data message"),
        transport_entry("client", client_send, b"", "STOR: the empty end-of-data message"),
    ]
    for entry in transport:
        cipher = client_receive if entry["sender"] == "server" else server_receive
        if cipher.decrypt(bytes.fromhex(entry["ciphertext"])) != bytes.fromhex(entry["plaintext"]):
            raise SystemExit("data message did not decrypt on the other side")
    return {
        "name": "NNpsk0 data connection, passive number %d" % passive_number,
        "protocol_name": protocol_name,
        "prologue": hexs(kg.DATA_PROLOGUE),
        "data_key": DATA_KEY,
        "data_key_base64": base64.b64encode(data_key).decode("ascii"),
        "passive_number": passive_number,
        "psk_message": hexs(psk_message),
        "psk": hexs(psk),
        "initiator_ephemeral_private": DATA_INITIATOR_EPHEMERAL,
        "initiator_ephemeral_public": hexs(pair(DATA_INITIATOR_EPHEMERAL).public),
        "responder_ephemeral_private": DATA_RESPONDER_EPHEMERAL,
        "responder_ephemeral_public": hexs(pair(DATA_RESPONDER_EPHEMERAL).public),
        "messages": messages,
        "handshake_hash": hexs(initiator.handshake_hash()),
        "transport": transport,
    }


def vectors():
    return {
        "description": "KeyGate wire protocol, version 2: handshake and transport vectors for the 25519 suites, "
                       "computed by an independent implementation written from the specifications "
                       "(Tests/Interop/keygate_v2_client.py). Byte strings are hexadecimal; each \"frame\" "
                       "is the section 1 frame (2-byte big-endian length, then the bytes).",
        "generator": "Tests/Interop/generate_vectors.py",
        "control": [
            control_vector("XX", "chat", CLIENT_EPHEMERAL_XX, SERVER_EPHEMERAL_XX),
            control_vector("IK", "ftp", CLIENT_EPHEMERAL_IK, SERVER_EPHEMERAL_IK, timestamp_us=IK_TIMESTAMP_US),
        ],
        "data": [data_vector(1)],
        "psk": [
            {"data_key": DATA_KEY, "passive_number": number,
             "psk": hexs(kg.data_psk(bytes.fromhex(DATA_KEY), number))}
            for number in [1, 2, 255, 256, 2**32 + 1]
        ],
    }


def render():
    return json.dumps(vectors(), indent=1) + "\n"


def check_noise(path):
    """Replays cacophony vectors of the patterns the client implements."""
    with open(path) as handle:
        data = json.load(handle)
    checked = 0
    for vector in data["vectors"]:
        name = vector["protocol_name"]
        match = kg.PROTOCOL_NAME.match(name)
        if not match or match.group(1) not in kg.PATTERNS:
            continue

        def key(field):
            return kg.KeyPair(bytes.fromhex(vector[field])) if field in vector else None

        def public(field):
            return bytes.fromhex(vector[field]) if field in vector else None

        initiator = kg.HandshakeState(
            name, True, bytes.fromhex(vector["init_prologue"]), s=key("init_static"), e=key("init_ephemeral"),
            rs=public("init_remote_static"), psks=[bytes.fromhex(p) for p in vector.get("init_psks", [])])
        responder = kg.HandshakeState(
            name, False, bytes.fromhex(vector["resp_prologue"]), s=key("resp_static"), e=key("resp_ephemeral"),
            rs=public("resp_remote_static"), psks=[bytes.fromhex(p) for p in vector.get("resp_psks", [])])
        ciphers = None
        for index, message in enumerate(vector["messages"]):
            payload, expected = bytes.fromhex(message["payload"]), bytes.fromhex(message["ciphertext"])
            if ciphers is None:
                writer, reader = (initiator, responder) if index % 2 == 0 else (responder, initiator)
                written = writer.write_message(payload)
                if written != expected or reader.read_message(written) != payload:
                    raise SystemExit("%s: handshake message %d differs" % (name, index))
                if initiator.is_finished():
                    if initiator.handshake_hash().hex() != vector["handshake_hash"]:
                        raise SystemExit("%s: handshake hash differs" % name)
                    ciphers = initiator.split() + responder.split()
                continue
            i_send, i_receive, r_receive, r_send = ciphers
            sender, receiver = (i_send, r_receive) if index % 2 == 0 else (r_send, i_receive)
            if sender.encrypt(payload) != expected or receiver.decrypt(expected) != payload:
                raise SystemExit("%s: transport message %d differs" % (name, index))
        checked += 1
    if checked == 0:
        raise SystemExit("no vector of a supported pattern in %s" % path)
    sys.stderr.write("noise states match %d vectors of %s\n" % (checked, path))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output")
    parser.add_argument("--check")
    parser.add_argument("--check-noise")
    args = parser.parse_args()
    if args.check_noise:
        check_noise(args.check_noise)
    text = render()
    if args.check:
        with open(args.check) as handle:
            if handle.read() != text:
                sys.stderr.write("%s differs from what generate_vectors.py writes\n" % args.check)
                return 1
        return 0
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
    elif not args.check_noise:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
