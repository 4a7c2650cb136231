// The four permits in the browser, from the comune's home page to the receipt.
export const REQUEST_JOURNEYS = {};
