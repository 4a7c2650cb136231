// Submits the forms marked data-autosubmit (the SAML HTTP-POST binding) as soon as the page
// loads; without JavaScript the visible button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
