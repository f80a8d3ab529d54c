"""ordo: a small, fast Transformer-encoder inference engine (C++ and oneDNN), from Python.

    import ordo
    m = ordo.Model("models/ordo-sinusoidal", threads=2)
    v = m.encode(["猫追老鼠", "老鼠追猫"], normalize_embeddings=True)  # numpy float32 [2, dim]
    m.pair("猫追老鼠", "老鼠追猫")["verdict"]

help(ordo.Model) documents every method; failures raise ordo.Error.
"""
from ._ordo import Error, Model, __version__, similarity, top_k

__all__ = ["Error", "Model", "__version__", "similarity", "top_k"]
