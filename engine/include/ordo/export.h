#pragma once
// ORDO_API marks what libordo exports. The library is compiled with -fvisibility=hidden, so
// the engine, tokenizer and model loaders inside it stay private to it: only the classes and
// functions of the headers in this directory are part of its interface.
#if defined(__GNUC__) || defined(__clang__)
#define ORDO_API __attribute__((visibility("default")))
#else
#define ORDO_API
#endif
