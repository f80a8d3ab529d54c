# The Python module on ordo's bundled model: sentence vectors, the word-order verdict,
# attention, tokens and the masked-LM head.
#   PYTHONPATH=<prefix>/lib/python3/dist-packages /usr/bin/python3 quickstart.py
# (ORDO_MODELS=DIR: the models directory; default models/, run from the source tree.)
import os

import ordo

models = os.environ.get("ORDO_MODELS", "models")
m = ordo.Model(os.path.join(models, "ordo-sinusoidal"), threads=2)
v = m.encode(["猫追老鼠", "老鼠追猫"], normalize_embeddings=True)  # numpy float32 [2, 128]
print("cosine", round(float(v[0] @ v[1]), 6))
t = m.encode(["猫追老鼠"], output_value="token_embeddings")  # list of [tokens, hidden] arrays
print("token vectors", t[0].shape)
r = m.pair("猫追老鼠", "老鼠追猫")  # the dict `ordo pair --json` prints
print(r["verdict"])
a = m.attentions("猫追老鼠")  # numpy [layers, heads, tokens, tokens]
print("attentions", a.shape)
print("pieces", m.tokenize("猫追老鼠")["pieces"])
best = m.fill_mask("The cat [MASK] the mouse.", top_k=3)[0]["predictions"]
print("fill", [p["token"] for p in best])
print("info", m.info()["positional_encoding"], m.info()["isa"])
