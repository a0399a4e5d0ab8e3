"""Training side of entrec: importers of labeled data, training and evaluation of the
spaCy NER component, and packaging of model artifacts (`entrec.training.package`, DESIGN §7)."""
