"""Usernames in three styles: "organic" (names and words, few digits), "naive" (bought
accounts, many digits) and "aged" (farm accounts, some digits), drawn per account index."""

from __future__ import annotations

import numpy as np

from detector.synth.keyed_random import uniform

_FIRST = np.array(
    "emma olivia ava mia sofia isabella amelia luna chloe lily grace zoe nora ella hannah "
    "lea lena julia sara anna maria laura clara elena ines lucia paula marta alice giulia "
    "camille manon chiara aisha fatima priya ananya yuki sakura mei lin hana jisoo minji "
    "ana carla bianca gabi liam noah lucas mateo leo ethan james oliver jack henry sam max "
    "ben tom adam david daniel alex chris ryan kevin jason mike nick josh matt luis carlos "
    "diego pablo javi marco luca paolo hugo louis theo felix jonas lukas omar ali ahmed "
    "rahul arjun kenji hiro minho joon wei jun tuan bao kofi tunde musa andre rafa thiago "
    "joao pedro ivan dmitri nikos kai finn milo".split()
)
_LAST = np.array(
    "smith johnson brown garcia miller davis lopez wilson martin lee moore taylor thomas "
    "white harris clark lewis walker hall allen young king wright scott green baker adams "
    "nelson hill rivera campbell mitchell roberts carter phillips evans turner torres "
    "parker collins edwards stewart morris nguyen tran kim park chen wang li zhang singh "
    "patel khan ali silva santos costa pereira oliveira rossi russo ferrari muller schmidt "
    "schneider fischer weber meyer dubois moreau laurent bernard petit novak kowalski "
    "ivanova popescu jensen larsen hansen berg".split()
)
_WORDS = np.array(
    "sunny coffee pixel moon wild ocean sky star blue green rose honey cookie peach mango "
    "cherry lemon vanilla cloud storm river forest mountain desert city urban retro vintage "
    "neon dream happy lucky chill cozy daily travel foodie gamer music dance art photo "
    "style beauty fit yoga run bike surf skate ski chef baker bookworm nerd geek tech code "
    "pet dog cat puppy kitty bunny fox wolf bear lion tiger panda koala owl bee butterfly "
    "wave sun rain snow autumn summer spring winter night late early little big tiny super "
    "real official vibes life world diaries journey story".split()
)
_SEPS = np.array(["", ".", "_"])
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _pick(words: np.ndarray, u: np.ndarray) -> np.ndarray:
    return words[np.minimum((u * words.size).astype(np.int64), words.size - 1)]


def _digits(u: np.ndarray, ndig: np.ndarray) -> np.ndarray:
    """A number with exactly ``ndig`` digits (1..11), as strings."""
    lo = np.power(10, ndig.astype(np.int64) - 1)
    return (lo + np.floor(u * 9 * lo).astype(np.int64)).astype(str)


def _cat(*parts: np.ndarray) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def usernames(key: int, idx: np.ndarray, sb: int, style: str) -> np.ndarray:
    """Usernames: "organic" (names and words, few digits), "naive" (many digits), "aged"."""
    n = idx.size
    first = _pick(_FIRST, uniform(key, idx, sb + 1))
    last = _pick(_LAST, uniform(key, idx, sb + 2))
    word = _pick(_WORDS, uniform(key, idx, sb + 3))
    word2 = _pick(_WORDS, uniform(key, idx, sb + 4))
    sep = _pick(_SEPS, uniform(key, idx, sb + 5))
    ud = uniform(key, idx, sb + 6)
    pat = uniform(key, idx, sb + 7)
    out = np.empty(n, dtype="<U40")
    if style == "organic":
        yy = (np.floor(uniform(key, idx, sb + 8) * 28).astype(np.int64) + 85) % 100  # 85..12
        two = np.strings.zfill(yy.astype(str), 2)
        year = (1975 + np.floor(ud * 38).astype(np.int64)).astype(str)
        choices = [
            (0.22, lambda m: _cat(first[m], sep[m], last[m])),
            (0.40, lambda m: _cat(first[m], word[m])),
            (0.55, lambda m: _cat(word[m], sep[m], word2[m])),
            (0.65, lambda m: _cat(first[m], sep[m], word[m])),
            (0.75, lambda m: _cat(np.full(m.sum(), "its"), first[m], sep[m], last[m])),
            (0.87, lambda m: _cat(first[m], last[m], two[m])),
            (0.95, lambda m: _cat(first[m], sep[m], year[m])),
            (1.01, lambda m: _cat(first[m], _digits(ud[m], 1 + (pat[m] * 1e3 % 3).astype(int)))),
        ]
    elif style == "naive":
        nd = 6 + np.floor(uniform(key, idx, sb + 8) * 5).astype(np.int64)  # 6..10 digits
        letters = _LETTERS[
            np.floor(np.stack([uniform(key, idx, sb + 20 + j) for j in range(8)], 1) * 26).astype(
                np.int64
            )
        ]
        rand = np.ascontiguousarray(letters).view("<U8").ravel()
        choices = [
            (0.45, lambda m: _cat(first[m], _digits(ud[m], nd[m]))),
            (0.65, lambda m: _cat(np.full(m.sum(), "user"), _digits(ud[m], nd[m] + 1))),
            (0.85, lambda m: _cat(first[m], last[m], _digits(ud[m], nd[m] - 1))),
            (1.01, lambda m: _cat(rand[m], _digits(ud[m], nd[m] - 4))),
        ]
    else:  # aged
        nd = 3 + np.floor(uniform(key, idx, sb + 8) * 4).astype(np.int64)  # 3..6 digits
        choices = [
            (0.45, lambda m: _cat(first[m], last[m], _digits(ud[m], nd[m]))),
            (0.70, lambda m: _cat(first[m], sep[m], word[m], _digits(ud[m], nd[m] - 1))),
            (0.85, lambda m: _cat(first[m], word[m])),
            (1.01, lambda m: _cat(first[m], _digits(ud[m], nd[m] + 2))),
        ]
    lo = 0.0
    for hi, make in choices:
        m = (pat >= lo) & (pat < hi)
        if m.any():
            out[m] = make(m)
        lo = hi
    return out
