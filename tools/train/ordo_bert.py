"""The BERT-style encoder of ordo's bundled models, its data pipeline and its file formats.

Shared by train_mlm.py, export_model.py and evaluate.py. Module attribute names
follow Hugging Face's BertForMaskedLM so that `state_dict()` keys are the HF
checkpoint names (`bert.embeddings.word_embeddings.weight`, ...).
"""
import json
import math
import os
import struct

# Thread settings must be fixed before torch / OpenBLAS start their pools. PASSIVE waiting
# matters on a shared, nice'd machine: spinning OpenMP workers that get preempted made
# a training step 4-5x slower here (5.5 s vs 1.2 s at batch 16 during a C++ build).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
FIRST_ORDINARY_ID = 5  # ids below are [PAD] [UNK] [CLS] [SEP] [MASK]


# ----------------------------------------------------------------------------- model
def sinusoidal_table(num_positions, hidden_size):
    """Interleaved Vaswani table: PE[p,2i]=sin(p/10000^(2i/d)), PE[p,2i+1]=cos(same).

    Computed in float64 and rounded once to float32, as ordo's engine does.
    """
    position = np.arange(num_positions, dtype=np.float64)[:, None]
    two_i = np.arange(0, hidden_size, 2, dtype=np.float64)[None, :]
    angle = position / np.power(10000.0, two_i / hidden_size)
    table = np.zeros((num_positions, hidden_size), dtype=np.float64)
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle)
    return torch.from_numpy(table.astype(np.float32))


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.position_embedding_type = cfg["position_embedding_type"]
        h = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], h, padding_idx=None)
        if self.position_embedding_type == "absolute":
            self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        elif self.position_embedding_type != "sinusoidal":
            raise ValueError(f"unknown position_embedding_type {self.position_embedding_type}")
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self._sinusoid = torch.zeros(0, h)  # plain attribute: never part of state_dict

    def position_encoding(self, length):
        if self.position_embedding_type == "absolute":
            return self.position_embeddings.weight[:length]
        if self._sinusoid.shape[0] < length:
            self._sinusoid = sinusoidal_table(max(length, 512), self.word_embeddings.embedding_dim)
        return self._sinusoid[:length]

    def forward(self, input_ids, token_type_ids):
        x = self.word_embeddings(input_ids)
        x = x + self.position_encoding(input_ids.shape[1])[None]
        x = x + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.num_heads = cfg["num_attention_heads"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)

    def forward(self, x, mask_bias):
        b, t, h = x.shape
        d_head = h // self.num_heads

        def heads(proj):
            return proj(x).view(b, t, self.num_heads, d_head).transpose(1, 2)

        q, k, v = heads(self.query), heads(self.key), heads(self.value)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d_head) + mask_bias
        probs = scores.softmax(dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(b, t, h)
        return context, probs


class DenseLayerNorm(nn.Module):
    """`dense` then residual add then post-LN: HF's BertSelfOutput / BertOutput."""

    def __init__(self, d_in, d_out, eps):
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(residual + self.dense(x))


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = SelfAttention(cfg)
        self.output = DenseLayerNorm(cfg["hidden_size"], cfg["hidden_size"], cfg["layer_norm_eps"])


class Intermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = Attention(cfg)
        self.intermediate = Intermediate(cfg)
        self.output = DenseLayerNorm(cfg["intermediate_size"], cfg["hidden_size"],
                                     cfg["layer_norm_eps"])

    def forward(self, x, mask_bias):
        context, probs = self.attention.self(x, mask_bias)
        x = self.attention.output(context, x)
        x = self.output(self.intermediate(x), x)
        return x, probs


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))


class Bert(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)

    def forward(self, input_ids, attention_mask, token_type_ids=None, want_attentions=False):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        hidden, attentions = [x], []
        for layer in self.encoder.layer:
            x, probs = layer(x, mask_bias)
            hidden.append(x)
            if want_attentions:
                attentions.append(probs)
        return x, hidden, attentions


class PredictionHead(nn.Module):
    """HF BertLMPredictionHead: transform (dense, gelu, LayerNorm), tied decoder, bias."""

    def __init__(self, cfg):
        super().__init__()
        self.transform = nn.Module()
        self.transform.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.transform.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))

    def forward(self, x, word_embeddings):
        x = self.transform.LayerNorm(F.gelu(self.transform.dense(x)))
        return x @ word_embeddings.t() + self.bias


class BertForMaskedLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.bert = Bert(cfg)
        self.cls = nn.Module()
        self.cls.predictions = PredictionHead(cfg)

    def mlm_logits(self, hidden):
        return self.cls.predictions(hidden, self.bert.embeddings.word_embeddings.weight)

    def init_weights(self, seed, embed_std=0.02, position_init="sinusoid"):
        """BERT init (normal std 0.02, zero bias, unit LayerNorm) except for the tables.

        The word table is drawn with `embed_std`. With an unscaled sinusoid (RMS 0.707) added
        to N(0, 0.02^2) word vectors, the word signal is 3% of the input and MLM sat on the
        unigram plateau; a larger `embed_std` fixes that. The learned position table starts
        as the sinusoid (`position_init="sinusoid"`), so that both models start as the same
        function, or is drawn with `embed_std` (`"normal"`). From random values its rows
        32-127, which get no gradient in the 32-token phase, had to be learned from scratch
        in the 128-token phase, and 3000 steps were not enough (models/README.md). The MLM
        head's LayerNorm gain starts at 1/(embed_std*sqrt(H)) (capped at 1) so the tied
        decoder's initial logits have unit scale.

        Every parameter except the learned position table is drawn, in name order, from one
        generator seeded with `seed`; the position table from its own generator. So the
        sinusoidal and the learned model start from identical shared weights.
        """
        shared = torch.Generator().manual_seed(seed)
        positions = torch.Generator().manual_seed(seed + 1)
        head_gain = min(1.0, 1.0 / (embed_std * math.sqrt(self.cfg["hidden_size"])))
        tables = ("bert.embeddings.word_embeddings.weight",
                  "bert.embeddings.position_embeddings.weight")
        with torch.no_grad():
            for name, p in sorted(self.named_parameters()):
                gen = positions if name == tables[1] else shared
                if name == "cls.predictions.transform.LayerNorm.weight":
                    p.fill_(head_gain)
                elif "LayerNorm.weight" in name:
                    p.fill_(1.0)
                elif name.endswith("bias"):
                    p.zero_()
                elif name == tables[1] and position_init == "sinusoid":
                    p.copy_(sinusoidal_table(p.shape[0], p.shape[1]))
                elif name in tables:
                    p.normal_(0.0, embed_std, generator=gen)
                else:
                    p.normal_(0.0, 0.02, generator=gen)


def make_config(vocab_size, pe, hidden=256, layers=4, heads=4, ffn=1024, max_positions=128):
    return {
        "architectures": ["BertForMaskedLM"],
        "model_type": "bert",
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": max_positions,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": PAD_ID,
        "position_embedding_type": {"sinusoidal": "sinusoidal", "learned": "absolute"}[pe],
        "tie_word_embeddings": True,
        "torch_dtype": "float16",
    }


# ----------------------------------------------------------------------------- data
def encode_lines(sp, path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    return sp.encode(lines, out_type=int)


def pack_lines(encoded, max_pieces):
    """Greedy packing of consecutive lines into sequences of at most `max_pieces` pieces.

    A line that does not fit closes the current sequence; a line longer than
    `max_pieces` is cut into chunks. Each sequence is later framed [CLS] ... [SEP].
    """
    sequences, current = [], []
    for ids in encoded:
        if not ids:
            continue
        if len(current) + len(ids) > max_pieces and current:
            sequences.append(current)
            current = []
        while len(ids) > max_pieces:
            sequences.append(ids[:max_pieces])
            ids = ids[max_pieces:]
        current = current + list(ids)
    if current:
        sequences.append(current)
    return sequences


def chunk_stream(encoded, max_pieces):
    """Evaluation framing: all held-out pieces as one stream, cut into full chunks."""
    stream = [i for ids in encoded for i in ids]
    n = len(stream) // max_pieces
    return [stream[k * max_pieces:(k + 1) * max_pieces] for k in range(n)]


def frame(sequences):
    """[CLS] pieces [SEP], right-padded with [PAD]; returns ids and attention mask."""
    length = max(len(s) for s in sequences) + 2
    ids = torch.full((len(sequences), length), PAD_ID, dtype=torch.long)
    for row, s in enumerate(sequences):
        ids[row, : len(s) + 2] = torch.tensor([CLS_ID] + list(s) + [SEP_ID])
    return ids, (ids != PAD_ID).long()


def mask_for_training(ids, vocab_size, generator, rate=0.15):
    """BERT masking: 15% of ordinary pieces; of those 80% [MASK], 10% random, 10% kept."""
    eligible = ids >= FIRST_ORDINARY_ID
    selected = (torch.rand(ids.shape, generator=generator) < rate) & eligible
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(FIRST_ORDINARY_ID, vocab_size, ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[selected & (action < 0.8)] = MASK_ID
    swap = selected & (action >= 0.8) & (action < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, selected


class SplitMix64:
    """Tiny documented PRNG so the C++ tools can reproduce the evaluation masks."""

    MASK64 = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK64

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK64
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))


# ----------------------------------------------------------------------------- safetensors
def write_safetensors(path, tensors, dtype=torch.float16, metadata=None):
    """Minimal writer: 8-byte LE header length, JSON header padded with spaces, raw data."""
    names = sorted(tensors)
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in names:
        t = tensors[name].detach().to(dtype).contiguous().cpu()
        blob = t.numpy().tobytes()  # little-endian on this machine
        header[name] = {"dtype": {torch.float16: "F16", torch.float32: "F32"}[dtype],
                        "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Reader for F16/F32 files; returns float32 tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        np_dtype = {"F16": np.float16, "F32": np.float32}[info["dtype"]]
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[base + begin : base + end], dtype=np_dtype).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def load_model_dir(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    model = BertForMaskedLM(cfg)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f"{model_dir}: missing {missing}, unexpected {unexpected}")
    model.eval()
    return cfg, model
