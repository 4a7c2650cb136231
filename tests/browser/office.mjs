// The back office in the browser: a clerk deciding a request.
export const OFFICE_JOURNEYS = {};
