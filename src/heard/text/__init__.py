"""Language primitives: tokens and sentences of spoken text, sentiment, frustration cues, sentence embeddings."""
