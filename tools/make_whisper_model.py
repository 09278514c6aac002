#!/usr/bin/env python3
"""Writes a whisper.cpp ggml model file of a real model's shape, with no weights or random ones.

No real model can be fetched on the build machines, so tests and benchmarks use these.

--weights none (the default): only the header, the mel filters and the vocabulary. whisper.cpp
loads such a file as an "empty model for testing": it allocates every tensor of the shape, so
loading and encoding cost what they cost with the real model, but whisper_full gives no text.

--weights random: every tensor whisper.cpp's loader expects for the shape, filled with small
deterministic random values (--seed). It loads as a real model and whisper_full decodes
gibberish words (" bakodu kelima ...") up to its token cap: the whole path from load to final
text runs, at the compute cost of a real model of that shape. Word accuracy means nothing.

Layout (little-endian), as whisper.cpp's loader reads it: uint32 magic 0x67676d6c; int32
n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state,
n_text_head, n_text_layer, n_mels, ftype; int32 n_mel, n_fft and n_mel*n_fft float32 filters;
int32 token count, then per token uint32 length and its bytes. Then, per tensor: int32 n_dims,
name length, type (0 f32, 1 f16); int32 dims, innermost first (ggml's ne[0], ne[1], ...); the
name; the data, with no padding.

    make_whisper_model.py [--weights none|random] [--seed N] [--logit-scale X] --shape tiny.en OUT.bin
"""
import argparse
import math
import random
import struct
import sys

# (n_audio_state, n_audio_head, n_audio_layer); the text side has the same three.
SHAPES = {"tiny": (384, 6, 4), "base": (512, 8, 6), "small": (768, 12, 12)}
N_AUDIO_CTX, N_TEXT_CTX, N_MELS, N_FFT = 1500, 448, 80, 201
FTYPE_F16 = 1
F32, F16 = 0, 1
# The byte-level BPE vocabulary both model families start from; whisper.cpp adds the special
# tokens (end of text, start of transcript, languages, timestamps) above it. The end-of-text
# token is this id in .en models and the next one in multilingual ones.
N_BASE_TOKENS = 50256

# Random values are one block tiled over each tensor, so writing 40-250 M values takes about a
# second. The block's length is prime: a matrix row (384 to 3072 values) then starts at a
# different place in the block for every row up to 65521, so no two rows are the same.
BLOCK = 65521
WEIGHT_STD = 0.02  # activations stay near unit scale through every layer norm
# The decoder's logits are its last layer norm's output times the token embeddings. With that
# norm's weight at 1 they are nearly uniform (std ~0.4 over 51864 tokens): mean log-probability
# ~-10.8, and whisper.cpp then re-decodes at every fallback temperature and drops the segment
# (logprob_thold -1). Scaling the norm by 40 (logit std ~16) makes the top token win with a
# probability near 1, like a real model on clear speech.
LOGIT_SCALE = 40.0
# Token embeddings of the single bytes (0-255, most not text on their own) and of every id
# from N_BASE_TOKENS up (end of text, task, language and timestamp tokens) are this much
# smaller, so their logits never win: the output is whole pseudo-words, and decoding runs to
# the token cap as it does on long speech.
QUIET = 0.05
# The decoder's position embeddings are 20 times larger (std 0.4) than the other weights. At
# the same scale the current token's own embedding dominates the last hidden state and greedy
# decoding repeats one word for ever (and whisper.cpp's entropy check then re-decodes); larger,
# they make each position pick a different word, and a longer utterance mostly extends the
# words of a shorter one, as with real speech.
POSITION = 20.0


def shape_params(shape):
    family, _, lang = shape.partition(".")
    if family not in SHAPES or lang not in ("", "en"):
        raise ValueError(f"unknown shape {shape!r}: one of " + ", ".join(
            s + e for s in SHAPES for e in (".en", "")))
    state, head, layer = SHAPES[family]
    return state, head, layer, 51864 if lang == "en" else 51865


def token_text(i):
    """Token i's bytes: single bytes below 256, above that a unique space-led pseudo-word."""
    if i < 256:
        return bytes([i])
    consonants, vowels = "bdfghklmnprstvz", "aeiou"
    n, word = i - 256, ""
    for _ in range(3):  # 75^3 syllable triples cover every id
        n, s = divmod(n, len(consonants) * len(vowels))
        word += consonants[s // len(vowels)] + vowels[s % len(vowels)]
    return (" " + word).encode()


def header_bytes(shape):
    state, head, layer, n_vocab = shape_params(shape)
    out = [struct.pack("<I", 0x67676D6C),
           struct.pack("<11i", n_vocab, N_AUDIO_CTX, state, head, layer, N_TEXT_CTX, state, head,
                       layer, N_MELS, FTYPE_F16),
           struct.pack("<2i", N_MELS, N_FFT)]
    # Triangular filters over the FFT bins: plausible, and never read for meaning.
    filters = []
    for m in range(N_MELS):
        centre = (m + 1) * (N_FFT - 1) / (N_MELS + 1)
        filters += [max(0.0, 1.0 - abs(k - centre) / 2.5) for k in range(N_FFT)]
    out.append(struct.pack(f"<{len(filters)}f", *filters))
    out.append(struct.pack("<i", N_BASE_TOKENS))
    for i in range(N_BASE_TOKENS):
        token = token_text(i)
        out.append(struct.pack("<I", len(token)) + token)
    return b"".join(out)


def tensor_names(shape):
    """(name, type, dims innermost first, fill) for every tensor, in the loader's order."""
    s, _, layers, n_vocab = shape_params(shape)
    ones, zeros, rand = "ones", "zeros", "random"

    def block(prefix, cross):
        t = [(prefix + "mlp_ln.weight", F32, [s], ones), (prefix + "mlp_ln.bias", F32, [s], zeros),
             (prefix + "mlp.0.weight", F16, [s, 4 * s], rand),
             (prefix + "mlp.0.bias", F32, [4 * s], zeros),
             (prefix + "mlp.2.weight", F16, [4 * s, s], rand),
             (prefix + "mlp.2.bias", F32, [s], zeros)]
        for attn in ["attn"] + (["cross_attn"] if cross else []):
            t += [(f"{prefix}{attn}_ln.weight", F32, [s], ones),
                  (f"{prefix}{attn}_ln.bias", F32, [s], zeros),
                  (f"{prefix}{attn}.query.weight", F16, [s, s], rand),
                  (f"{prefix}{attn}.query.bias", F32, [s], zeros),
                  (f"{prefix}{attn}.key.weight", F16, [s, s], rand),  # the key has no bias
                  (f"{prefix}{attn}.value.weight", F16, [s, s], rand),
                  (f"{prefix}{attn}.value.bias", F32, [s], zeros),
                  (f"{prefix}{attn}.out.weight", F16, [s, s], rand),
                  (f"{prefix}{attn}.out.bias", F32, [s], zeros)]
        return t

    t = [("encoder.positional_embedding", F32, [s, N_AUDIO_CTX], rand),
         ("encoder.conv1.weight", F16, [3, N_MELS, s], rand),
         ("encoder.conv1.bias", F32, [1, s], zeros),
         ("encoder.conv2.weight", F16, [3, s, s], rand),
         ("encoder.conv2.bias", F32, [1, s], zeros),
         ("encoder.ln_post.weight", F32, [s], ones), ("encoder.ln_post.bias", F32, [s], zeros)]
    for i in range(layers):
        t += block(f"encoder.blocks.{i}.", cross=False)
    t += [("decoder.positional_embedding", F32, [s, N_TEXT_CTX], "position"),
          ("decoder.token_embedding.weight", F16, [s, n_vocab], "embedding"),
          ("decoder.ln.weight", F32, [s], "logit_scale"), ("decoder.ln.bias", F32, [s], zeros)]
    for i in range(layers):
        t += block(f"decoder.blocks.{i}.", cross=True)
    return t


class random_blocks:
    """Packed blocks of normal values, and tensors tiled from them at random offsets."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.blocks = {}
        # f32 (position embeddings) from values of its own: tiled from the f16 block, a
        # position's row lines up with a token's and the output counts up the vocabulary.
        for fmt in ("e", "f"):
            values = [self.rng.gauss(0.0, WEIGHT_STD) for _ in range(BLOCK)]
            for scale in (1.0, QUIET, POSITION):
                packed = struct.pack(f"<{BLOCK}{fmt}", *(v * scale for v in values))
                # f16 rounding must not make anything infinite or NaN.
                if not all(math.isfinite(v) for v in struct.unpack(f"<{BLOCK}{fmt}", packed)):
                    raise ValueError("random block has a value that is not finite")
                self.blocks[fmt, scale] = packed

    def tiled(self, fmt, n, scale=1.0):
        size = struct.calcsize(fmt)
        start = self.rng.randrange(BLOCK) * size
        data = self.blocks[fmt, scale]
        reps = (start + n * size) // len(data) + 1
        return (data * reps)[start:start + n * size]


def tensor_data(rb, ttype, dims, fill, s, logit_scale=LOGIT_SCALE):
    fmt = "f" if ttype == F32 else "e"
    n = math.prod(dims)
    if fill == "random":
        return rb.tiled(fmt, n)
    if fill == "position":
        return rb.tiled(fmt, n, POSITION)
    if fill == "embedding":
        n_vocab = dims[1]
        return (rb.tiled(fmt, 256 * s, QUIET) + rb.tiled(fmt, (N_BASE_TOKENS - 256) * s) +
                rb.tiled(fmt, (n_vocab - N_BASE_TOKENS) * s, QUIET))
    value = {"ones": 1.0, "zeros": 0.0, "logit_scale": logit_scale}[fill]
    return struct.pack(f"<{fmt}", value) * n


def write_model(shape, out, weights="none", seed=0, logit_scale=LOGIT_SCALE):
    out.write(header_bytes(shape))
    if weights == "none":
        return
    rb = random_blocks(seed)
    s = shape_params(shape)[0]
    for name, ttype, dims, fill in tensor_names(shape):
        encoded = name.encode()
        out.write(struct.pack(f"<{3 + len(dims)}i", len(dims), len(encoded), ttype, *dims))
        out.write(encoded)
        out.write(tensor_data(rb, ttype, dims, fill, s, logit_scale))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="tiny.en", help="tiny.en, tiny, base.en, base, small.en, small")
    p.add_argument("--weights", choices=("none", "random"), default="none",
                   help="none: header and vocabulary only; random: every tensor, random values")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--logit-scale", type=float, default=LOGIT_SCALE,
                   help="decoder's last norm weight: 40 decodes confidently; 1 gives an unsure "
                        "model (mean log-probability ~-10) that hallucination guards must drop")
    p.add_argument("out", help="file to write")
    a = p.parse_args()
    try:
        shape_params(a.shape)
    except ValueError as e:
        sys.exit(f"make_whisper_model: {e}")
    with open(a.out, "wb") as f:
        write_model(a.shape, f, a.weights, a.seed, a.logit_scale)


if __name__ == "__main__":
    main()
