"""API resources built from settings: sandbox defaults, EnvVar for set secrets, vault references."""

import pytest
from cryptography.fernet import Fernet
from dagster import AssetExecutionContext, Definitions, MaterializeResult, asset, materialize, serialize_value
from dagster._core.remote_representation.external_data import RepositorySnap
from instances import instance_for_test

from connector_resources.base import ApiConnectionResource
from connector_resources.ledger import Ledger
from connector_resources.vault import Vault


class CoupaLikeResource(ApiConnectionResource):
    system_key = "coupa"

    base_url: str
    client_id: str
    client_secret: str


@asset
def uses_secret(context: AssetExecutionContext, api: CoupaLikeResource) -> MaterializeResult:
    # Metadata carries only a fact derived from the secret, never the secret itself.
    return MaterializeResult(
        metadata={"secret_length": len(api.secret(api.client_secret)), "url": api.base_url}
    )


def test_unset_settings_fall_back_to_the_sandbox():
    resource = CoupaLikeResource.from_settings(environ={})
    assert resource.base_url == "http://127.0.0.1:8712"
    assert resource.client_secret == "sandbox-coupa-secret"


@pytest.mark.parametrize("style", ["literal", "vault"])
def test_a_set_secret_enters_run_config_only_as_the_variable_name(style, tmp_path, monkeypatch):
    secret = "cs-" + Fernet.generate_key().decode()[:20]
    db_url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", db_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    if style == "vault":
        Vault(Ledger(db_url)).set("coupa/client_secret", secret)
        monkeypatch.setenv("ML_COUPA_CLIENT_SECRET", "vault:coupa/client_secret")
    else:
        monkeypatch.setenv("ML_COUPA_CLIENT_SECRET", secret)
    monkeypatch.setenv("ML_COUPA_URL", "https://acme.coupahost.com/")

    resource = CoupaLikeResource.from_settings()
    with instance_for_test() as instance:
        result = materialize([uses_secret], resources={"api": resource}, instance=instance)
        run_config = instance.get_run_by_id(result.run_id).run_config
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["secret_length"].value == len(secret)
    assert metadata["url"].value == "https://acme.coupahost.com"
    assert secret not in repr(run_config)
    # What the UI shows of the resource (the repository snapshot) names the variable, not the value.
    ui_view = serialize_value(
        RepositorySnap.from_def(
            Definitions(assets=[uses_secret], resources={"api": resource}).get_repository_def()
        )
    )
    assert "ML_COUPA_CLIENT_SECRET" in ui_view
    assert secret not in ui_view
