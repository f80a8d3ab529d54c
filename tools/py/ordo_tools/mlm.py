"""The masked-LM recipe of ordo's bundled models: thread settings, special ids, config, data
pipeline, masks and the SplitMix64 generator that the C++ tools reproduce.

Used by tools/train/train_mlm.py, export_model.py and evaluate.py, with the model in
ordo_tools.bert. Import this module before torch loads (it sets the thread environment).
"""
import os

# Thread settings must be fixed before torch / OpenBLAS start their pools. PASSIVE waiting
# matters on a shared, nice'd machine: spinning OpenMP workers that get preempted made
# a training step 4-5x slower here (5.5 s vs 1.2 s at batch 16 during a C++ build).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import torch  # noqa: E402

PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
FIRST_ORDINARY_ID = 5  # ids below are [PAD] [UNK] [CLS] [SEP] [MASK]


# train_mlm.py --pe NAME -> config.json position_embedding_type (HF's "absolute" for learned)
POSITION_TYPES = {"none": "none", "sinusoidal": "sinusoidal", "learned": "absolute",
                  "rotary": "rotary", "alibi": "alibi", "relative_bias": "relative_bias"}


def make_config(vocab_size, pe, hidden=256, layers=4, heads=4, ffn=1024, max_positions=128):
    """A Hugging Face BERT config.json for one twin; only the position keys differ."""
    position_keys = {
        "rotary": {"rotary_emb_base": 10000, "rotary_emb_fraction": 1.0,
                   "rotary_emb_interleaved": False},
        "relative_bias": {"relative_attention_num_buckets": 32,
                          "relative_attention_max_distance": max_positions},
    }.get(pe, {})
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
        "position_embedding_type": POSITION_TYPES[pe],
        **position_keys,
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
    `max_pieces` is cut into chunks; an empty line (between two documents) closes it
    too. Each sequence is later framed [CLS] ... [SEP].
    """
    sequences, current = [], []
    for ids in encoded:
        if not ids:
            if current:
                sequences.append(current)
                current = []
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


def masked_eval_set(stream_ids, length, seed, rate=0.15):
    """Held-out evaluation set (tools/train/evaluate.py documents it; the C++ tools
    reproduce it): [CLS] chunk [SEP] rows, scored positions drawn with SplitMix64(seed)
    and replaced by [MASK]. Returns ids, inputs and the scored mask."""
    chunks = chunk_stream([stream_ids], length - 2)
    rng = SplitMix64(seed)
    ids = torch.tensor([[CLS_ID] + c + [SEP_ID] for c in chunks], dtype=torch.long)
    scored = torch.zeros_like(ids, dtype=torch.bool)
    for row in range(ids.shape[0]):
        for p in range(1, length - 1):
            if rng.uniform() < rate and ids[row, p] >= FIRST_ORDINARY_ID:
                scored[row, p] = True
    inputs = ids.clone()
    inputs[scored] = MASK_ID
    return ids, inputs, scored


def predict(model, inputs, batch=16):
    """Top-1 MLM prediction at every position, in eval mode without gradients."""
    out = []
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch):
            x = inputs[start: start + batch]
            hidden = model.bert(x, torch.ones_like(x))
            out.append(model.mlm_logits(hidden).argmax(-1))
    return torch.cat(out)


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
