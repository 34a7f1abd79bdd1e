"""Understanding a message at run time: the encoder and intent model (``models``), our own backend
(``local``) or a Rasa server (``rasa``), chosen in ``backend``, and the knowledge base on disk."""
