from kopplingar.forms import datasets


def test_digit_splits_are_disjoint_and_labelled() -> None:
    train = datasets.handwritten_digits("train")
    evaluation = datasets.handwritten_digits("eval")
    assert len(train.images) == 4000 + 1274
    assert len(evaluation.images) == 1000 + (1593 - 1274)
    assert set(train.labels.tolist()) == set(range(10)) == set(evaluation.labels.tolist())
    assert all(img.dtype.name == "uint8" and img.max() > 128 for img in evaluation.images)


def test_signature_split_keeps_page_groups_together() -> None:
    train = {datasets.signature_group(p.name) for p in datasets.signature_files("train")}
    evaluation = {datasets.signature_group(p.name) for p in datasets.signature_files("eval")}
    assert train and evaluation
    assert not train & evaluation
    total = len(list(datasets.signature_files("train"))) + len(
        list(datasets.signature_files("eval"))
    )
    assert total == 313
