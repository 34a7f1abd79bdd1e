"""A supervised entry classifier trained on the entries' own questions, phrasings and answers.

Nearest-neighbour similarity alone misses paraphrases that no single phrasing resembles; two
logistic regressions, one on sentence embeddings and one on character n-grams of the
normalised text (robust to the typos and spelling variants voters use), generalise across
an entry's phrasings. Their averaged probabilities are the third score the hybrid fuses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

EMBEDDING_C = 50.0
CHARACTER_C = 10.0


class EntryClassifier:
    """P(entry | question), for the entries it was trained on, in ``entry_ids`` order."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[int], n_entries: int) -> None:
        self.n_entries = n_entries
        self._classes = np.unique(labels)
        self._characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        characters = self._characters.fit_transform(texts)
        if len(self._classes) > 1:
            self._by_embedding = LogisticRegression(C=EMBEDDING_C, max_iter=3000).fit(vectors, labels)
            self._by_characters = LogisticRegression(C=CHARACTER_C, max_iter=3000).fit(characters, labels)

    def probabilities(self, text: str, vector: np.ndarray) -> np.ndarray:
        """A probability per entry (zero for entries the classifier has no example of)."""
        result = np.zeros(self.n_entries, dtype=np.float32)
        if len(self._classes) < 2:
            result[self._classes] = 1.0
            return result
        by_embedding = self._by_embedding.predict_proba(vector.reshape(1, -1))[0]
        by_characters = self._by_characters.predict_proba(self._characters.transform([text]))[0]
        result[self._classes] = (by_embedding + by_characters) / 2
        return result
