"""The fields of the Coupa models our clients send and read, as Coupa's R39 OpenAPI (Swagger 2.0) specs
declare them: each model's properties, which of them are read-only (output only), and which property
holds a list of which model. Facts taken from the specs (named per model in ``SOURCES``), written as our
own tables: the specs' licence is not stated, so no copy of them is kept in this repository.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# model -> the artifact file (in Compass's "R39 API schemas", mirrored in the public repository
# TimTini/coupa-compass-integration-docs, output/discovery/assets/raw/) whose ``definitions`` it comes from.
SOURCES: dict[str, str] = {
    "InvoiceHeader": "0168-R39_Invoicing_API.json",
    "InvoiceLine": "0168-R39_Invoicing_API.json",
    "Payment": "0168-R39_Invoicing_API.json",
    "Supplier": "0164-R39_Core_Platform_API.json",
    "SupplierRemitTo": "0164-R39_Core_Platform_API.json",
    "OrderHeader": "0169-R39_Purchasing_API.json",
    "OrderLine": "0169-R39_Purchasing_API.json",
    "CoupaPay-Payment": "0165-R39_Coupa_Pay_Base_API.json",
    "CoupaPay-PaymentDetail": "0165-R39_Coupa_Pay_Base_API.json",
    "Account": "0164-R39_Core_Platform_API.json",
    "AccountType": "0164-R39_Core_Platform_API.json",
    "LookupValue": "0164-R39_Core_Platform_API.json",
    "Lookup": "0164-R39_Core_Platform_API.json",
    "PaymentTerm": "0164-R39_Core_Platform_API.json",
    "Currency": "0164-R39_Core_Platform_API.json",
    "Address": "0164-R39_Core_Platform_API.json",
    "Department": "0164-R39_Core_Platform_API.json",
    "Contact": "0164-R39_Core_Platform_API.json",
}

# model -> every property the spec declares for it.
PROPERTIES: dict[str, frozenset[str]] = {
    "InvoiceHeader": _names(
        "abandon-reason account-type advance-payment-received-amount amount-due amount-due-less-discount "
        "amount-of-advance-payment approvals archive-entity-id attachments bill-to-address "
        "buyer-representative-name buyer-tax-registration canceled cash-accounting-scheme-reference "
        "cash-register-operator channel clearance-document comments compliant confirmation "
        "content-validation contract correct-value-of-supply coupa-accelerate-status created-at "
        "created-by credit-note-differences-with-original-invoice credit-reason currency currency-id "
        "currency-tax-rounding-mode current-integration-history-records customer-accounting-tax "
        "customer-accounting-tax-less-discount customs-declaration-date customs-declaration-number "
        "customs-office date-of-discovery-of-facts-decisive-for-correction date-received delivery-date "
        "delivery-number destination-country discount-amount discount-due-date discount-percent "
        "dispute-method dispute-reasons document-type early-payment-provisions endorsement-on-invoices "
        "exchange-rate exported failed-tolerances folio-number form-of-payment freight-type gross-total "
        "gross-total-less-discount handling-amount id image-scan image-scan-content-type "
        "image-scan-file-name image-scan-file-size image-scan-url inbound-invoice inbox-name "
        "internal-note invoice-charges invoice-date invoice-from-address invoice-issuance-time "
        "invoice-lines invoice-number invoice-payment-receipts invoice-reference-number is-credit-note "
        "issuance-place last-exported-at late-payment-penalties legal-destination-country line-count "
        "line-level-taxation lock-version-key margin-scheme means-of-payment misc-amount "
        "municipal-tax-number national-enrollment-of-conveyor nature-of-operation net-due-date "
        "net-total-less-discount new-means-of-transport origin-country origin-currency "
        "origin-currency-gross origin-currency-net original-invoice-date original-invoice-number "
        "original-value-of-supply paid pay-invoice payment-agreement-notes payment-channel payment-date "
        "payment-method payment-notes payment-order-number payment-order-reference payment-term payments "
        "place-of-issuance place-of-supply pre-payment-date protocol-number reconciliation-lines "
        "remit-to-address requested-by requester-email requester-lookup-name requester-name "
        "resolution-number reverse-charge-reference security-code-of-issuer self-billing-reference "
        "sender-email serial-code-of-fiscal-invoice series ship-from-address ship-to-address "
        "shipping-amount shipping-term show-tax-information? signed-qr-code split-payment-mechanism "
        "state-tax-number state-tax-number-for-substitute-taxpayer status supplier supplier-created "
        "supplier-invoice-issuer-name supplier-invoice-reviewer-name supplier-note "
        "supplier-payment-collector-name supplier-remit-to supplier-representative-name supplier-site "
        "supplier-tax-registration supplier-total taggings tags tax-amount tax-amount-engine tax-code "
        "tax-code-engine tax-due-to-supplier tax-lines tax-rate tax-rate-engine "
        "taxes-in-origin-country-currency tcs-tax-lines tolerance-failures total-taxes-less-discount "
        "total-with-taxes transaction-notification-date transaction-uuid type-of-document "
        "type-of-operation type-of-receipt type-of-relationship "
        "unique-identification-code-of-cash-receipt updated-at updated-by use-of-invoice "
        "vehicle-license-plate verification-code volume-amount volume-brand volume-gross-weight "
        "volume-liquid-weight volume-numbering volume-type withholding-tax-lines withholding-tax-override "
    ),
    "InvoiceLine": _names(
        "account account-allocations accounting-total accounting-total-currency adjustment-type "
        "billing-note bulk-price category classification-of-goods commodity company-uom contract "
        "created-at created-by currency customs-declaration-number deductibility delivery-note-number "
        "description discount-amount failed-tolerances fiscal-code handling-distribution-total "
        "hsn-sac-code id item item-barcode line-num line-type match-reference misc-distribution-total "
        "municipality-taxation-code net-weight order-header-num order-line-commodity "
        "order-line-custom-fields order-line-id order-line-num order-line-source-part-num "
        "original-date-of-supply period po-number price price-per-uom property-tax-account quantity "
        "shipping-distribution-total source-part-num status subcategory supp-aux-part-num taggings tags "
        "tax-amount tax-amount-engine tax-code tax-code-engine tax-description tax-distribution-total "
        "tax-lines tax-location tax-rate tax-rate-engine tax-supply-date total type unspsc uom updated-at "
        "updated-by weight-uom withholding-tax-lines "
    ),
    "Payment": _names(
        "amount-paid category check-number created-at created-by id notes payable-id payable-type "
        "payment-date updated-at updated-by "
    ),
    "Supplier": _names(
        "account-number account-types allow-change-requests allow-cn-no-backing-doc-from-connect "
        "allow-csp-access-without-two-factor allow-cxml-invoicing allow-inv-choose-billing-account "
        "allow-inv-from-connect allow-inv-no-backing-doc-from-connect "
        "allow-inv-unbacked-lines-from-connect allow-order-confirmation-item-substitutions "
        "business-entity-id buyer-hold commodity confirm-by-hrs contacts content-groups corporate-url "
        "coupa-connect-secret coupa-pay-financing-only created-at created-by customer-support-contacts "
        "cxml-domain cxml-http-password cxml-http-username cxml-identity cxml-invoice-buyer-domain "
        "cxml-invoice-buyer-identity cxml-invoice-secret cxml-invoice-supplier-domain "
        "cxml-invoice-supplier-identity cxml-protocol cxml-secret cxml-ssl-version cxml-supplier-domain "
        "cxml-supplier-identity cxml-url dd-settings default-locale disable-cert-verify display-name "
        "diversities diversity-categories do-not-accelerate duns enterprise hold-invoices-for-ap-review "
        "id integration-contacts inventory-organization invoice-emails invoice-matching-level name number "
        "on-hold one-time-supplier online-store order-confirmation-level parent payment-method "
        "payment-term payment-term-id payment-terms po-change-method po-email po-method "
        "preferred-commodities primary-address primary-contact remit-to-addresses remit-to-requirement "
        "restricted-account-types savings-pct scf-configs scope-three-emissions "
        "send-invoices-to-approvals shipping-term status storefront-url supplier-account-types "
        "supplier-addresses supplier-classification-detail supplier-community-enablement "
        "supplier-enterprise-detail supplier-insurance-detail supplier-risk-detail supplier-sites "
        "supplier-tax-detail taggings tax-code tax-id type updated-at updated-by website whitelist-dd "
    ),
    "SupplierRemitTo": _names(
        "city company-registration-number country created-at disclosure id name postal-code "
        "preferred-language registered-company remit-to-code state street1 street2 street3 street4 "
        "supplier-name tax-number tax-prefix updated-at validated-source "
    ),
    "OrderHeader": _names(
        "acknowledged-at acknowledged-flag attachments change-type classification confirm-by-hrs "
        "coupa-accelerate-status created-at created-by currency current-integration-history-records "
        "exported hide-price id internal-revision invoice-stop last-exported-at milestones "
        "order-confirmation-level order-header-confirmations order-lines payment-method payment-term "
        "pcard po-number price-hidden reason-insight-events recurring-rules requester requisition-header "
        "ship-to-address ship-to-attention ship-to-user shipping-term status supplier supplier-site "
        "transmission-emails transmission-method-override transmission-status type updated-at updated-by "
        "user-group-members user-members version "
    ),
    "OrderLine": _names(
        "account account-allocations account-type accounting-total accounting-total-currency "
        "amount-components asset-tags attachments bulk-price commodity contract created-at created-by "
        "currency department description easy-form-response-id external-reference-number "
        "external-reference-type extra-line-attribute form-response id invoice-stop invoiced item "
        "line-num line-owner manufacturer-name manufacturer-part-number match-type milestones "
        "minimum-order-quantity need-by-date order-header-id order-header-number order-increment "
        "order-line-tax-detail period price quantity receipt-approval-required receipt-required received "
        "receiving-warehouse recurring-rules reporting-total requester requisition-line-id "
        "rfq-easy-form-response-id rfq-form-response savings-pct service-type source-part-num status "
        "sub-line-num supp-aux-part-num supplier supplier-order-number supplier-schedule-lines "
        "supplier-site-id third-party-supplier total total-invoiced type uom updated-at updated-by "
        "version "
    ),
    "CoupaPay-Payment": _names(
        "created-at created-by description digital-check error-text estimated-pay-from-total "
        "exchange-rate exported exported? external-ref-id id last-exported-at legal-entity-name line-num "
        "pay-from-account pay-from-currency pay-from-external-gl-account pay-from-total pay-to-account "
        "pay-to-currency pay-to-external-gl-account pay-to-total payee payment-batch payment-batch-id "
        "payment-details payment-identifier released-at reporting-currency reporting-pay-from-total "
        "reporting-pay-to-total requested-execution-date source-name source-reference status "
        "supplier-site transfer-type type updated-at updated-by "
    ),
    "CoupaPay-PaymentDetail": _names(
        "adjustment-total created-at created-by currency discount-total id payable-allocations "
        "payable-document-type payable-id payable-type payment-id payment-total source-transaction-id "
        "source-transaction-reference source-transaction-type supplier-site transaction-total updated-at "
        "updated-by "
    ),
    "Account": _names(
        "account-type account-type-id active code created-at created-by id name segment-1 segment-10 "
        "segment-11 segment-12 segment-13 segment-14 segment-15 segment-16 segment-17 segment-18 "
        "segment-19 segment-2 segment-20 segment-3 segment-4 segment-5 segment-6 segment-7 segment-8 "
        "segment-9 updated-at updated-by "
    ),
    "AccountType": _names(
        "active created-at created-by currency dynamic-flag id legal-entity-name name primary-address "
        "primary-contact updated-at updated-by "
    ),
    "LookupValue": _names(
        "account-type active children-count created-at created-by depth description external-ref-code "
        "external-ref-num id is-default lookup lookup-id name parent parent-id updated-at updated-by "
    ),
    "Lookup": _names(
        "active content-groups created-at created-by description fixed-depth id level-1-name "
        "level-10-name level-2-name level-3-name level-4-name level-5-name level-6-name level-7-name "
        "level-8-name level-9-name name updated-at updated-by values-count "
    ),
    "PaymentTerm": _names(
        "active active? code content-groups created-at created-by days-for-discount-payment "
        "days-for-net-payment description discount-cutoff-day discount-due-day discount-due-month "
        "discount-rate id net-cutoff-day net-due-day net-due-month type updated-at updated-by "
    ),
    "Currency": _names("code decimals enabled id name symbol "),
    "Address": _names(
        "active attention business-group-name city content-groups country created-at created-by "
        "external-src-name external-src-ref id local-tax-number location-code name postal-code purposes "
        "state state-iso-code street1 street2 street3 street4 tax-registrations type updated-at "
        "updated-by vat-country vat-number "
    ),
    "Department": _names("active created-at created-by id name updated-at updated-by "),
    "Contact": _names(
        "active created-at created-by email id name-additional name-family name-fullname name-given "
        "name-prefix name-suffix notes phone-fax phone-mobile phone-work photo purposes updated-at "
        "updated-by "
    ),
}

# model -> the properties the spec marks readOnly: Coupa fills them and a request must not send them.
READ_ONLY: dict[str, frozenset[str]] = {
    "InvoiceHeader": _names(
        "amount-due amount-due-less-discount amount-of-advance-payment archive-entity-id canceled channel "
        "clearance-document compliant confirmation content-validation coupa-accelerate-status created-at "
        "currency-id currency-tax-rounding-mode customer-accounting-tax "
        "customer-accounting-tax-less-discount date-received discount-due-date dispute-method "
        "document-type exported form-of-payment gross-total gross-total-less-discount id image-scan "
        "image-scan-content-type image-scan-file-name image-scan-file-size image-scan-url inbox-name "
        "issuance-place line-count lock-version-key net-due-date net-total-less-discount payment-channel "
        "payment-method sender-email show-tax-information? status supplier-created tax-amount-engine "
        "tax-code-engine tax-due-to-supplier tax-rate-engine tolerance-failures total-taxes-less-discount "
        "total-with-taxes type-of-receipt updated-at use-of-invoice withholding-tax-override "
    ),
    "InvoiceLine": _names(
        "accounting-total company-uom created-at customs-declaration-number discount-amount "
        "handling-distribution-total id misc-distribution-total order-header-num order-line-custom-fields "
        "order-line-num order-line-source-part-num po-number property-tax-account "
        "shipping-distribution-total status tax-amount-engine tax-code-engine tax-description "
        "tax-distribution-total tax-location tax-rate-engine tax-supply-date total updated-at "
    ),
    "Payment": _names("category created-at id updated-at "),
    "Supplier": _names("coupa-connect-secret created-at id remit-to-requirement type updated-at "),
    "SupplierRemitTo": _names(
        "company-registration-number created-at disclosure id name preferred-language supplier-name "
        "tax-prefix updated-at validated-source "
    ),
    "OrderHeader": _names(
        "acknowledged-at change-type coupa-accelerate-status created-at exported id internal-revision "
        "invoice-stop price-hidden status transmission-status updated-at "
    ),
    "OrderLine": _names(
        "created-at easy-form-response-id id invoice-stop minimum-order-quantity order-header-number "
        "order-increment receipt-approval-required requisition-line-id service-type supplier-site-id "
        "total-invoiced updated-at "
    ),
    "CoupaPay-Payment": _names(
        "created-at description error-text estimated-pay-from-total exchange-rate exported exported? id "
        "last-exported-at legal-entity-name line-num pay-from-total pay-to-total payee payment-batch-id "
        "payment-identifier released-at reporting-pay-from-total reporting-pay-to-total "
        "requested-execution-date source-name source-reference status transfer-type type updated-at "
    ),
    "CoupaPay-PaymentDetail": _names(
        "adjustment-total created-at discount-total id payable-document-type payable-id payment-id "
        "payment-total source-transaction-id source-transaction-reference source-transaction-type "
        "supplier-site transaction-total updated-at "
    ),
    "Account": _names("account-type-id code created-at id updated-at "),
    "AccountType": _names("created-at dynamic-flag id legal-entity-name updated-at "),
    "LookupValue": _names("children-count created-at depth external-ref-code id updated-at "),
    "Lookup": _names("created-at id updated-at values-count "),
    "PaymentTerm": _names("active? created-at id updated-at "),
    "Currency": _names("decimals id "),
    "Address": _names("created-at id type updated-at "),
    "Department": _names("created-at id updated-at "),
    "Contact": _names("active created-at id name-fullname updated-at "),
}

# model -> property -> the model of the items of a list property: the nested records checked closed.
LISTS: dict[str, dict[str, str]] = {
    "InvoiceHeader": {"invoice-lines": "InvoiceLine", "payments": "Payment"},
    "OrderHeader": {"order-lines": "OrderLine"},
    "CoupaPay-Payment": {"payment-details": "CoupaPay-PaymentDetail"},
}

# Elements Compass's element tables document for a model that its R39 spec lacks (each page's Elements
# table, named in the comment): a field either artifact documents is the vendor's.
COMPASS_ONLY: dict[str, frozenset[str]] = {
    # Compass, "Invoices API (/invoices)", Elements
    "InvoiceHeader": _names(
        "buyer_representative_name customer_account_number override-tax-country show-tax-information "
        "vat-chargeability-system "
    ),
    # Compass, "Suppliers API (/suppliers)", Elements
    "Supplier": _names(
        "business-groups confirm_by_hrs do_not_accelerate one_time_supplier order_confirmation_level "
        "payment-term-id-for-api payment-types price-amount scope_three_emissions strategic_supplier "
        "supplier-status supplier_classification_detail supplier_enterprise_detail "
        "supplier_insurance_detail supplier_risk_detail supplier_tax_detail tags "
    ),
    # Compass, "Purchase Orders API (/purchase_orders)", Elements
    # ... and its note: invoice-total is shown when default_purchase_orders_filter is "default"
    "OrderHeader": _names("invoice-total confirmation_status total "),
    # Compass, "Purchase Order Lines API", Elements
    "OrderLine": _names(
        "amount_components easy_form_response_id external_reference_number external_reference_type "
        "extra_line_attribute line_owner manufacturer_name manufacturer_part_number "
        "order_line_tax_detail recurring_rules requisition_line_id third_party_supplier "
    ),
}
