"""Redaction by value: every registered secret is masked whole, whatever order they were registered in."""

from connector_resources.redaction import MASK, redact, register_secret


def test_a_secret_containing_another_is_masked_whole_whichever_came_first():
    register_secret("k3y-inner")
    register_secret("outer-k3y-inner-tail")
    register_secret("abc")  # too short to be a credential: ordinary text stays readable
    text = "sent outer-k3y-inner-tail, then k3y-inner, then abc"
    assert redact(text) == f"sent {MASK}, then {MASK}, then abc"


def test_thousands_of_session_tokens_are_all_still_masked():
    tokens = [f"session-token-{n:05d}-x" for n in range(3000)]  # a new token at every login
    for token in tokens:
        register_secret(token)
    line = f"login answered {tokens[0]}; later {tokens[-1]} and {tokens[1500]}"
    assert redact(line) == f"login answered {MASK}; later {MASK} and {MASK}"
