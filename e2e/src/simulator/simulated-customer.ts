/** A customer the simulators act for: opened in primary, with one card, funded, known to stand-in. */
export interface SimulatedCustomer {
  /** The account id. */
  readonly accountId: string;
  /** Primary's customer id: the user id the stand-in configuration and `/status?user=` use. */
  readonly customerId: string;
  /** The customer's app token (bearer), accepted by both platforms' app APIs. */
  readonly token: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly holderName: string;
  /** The PAN lives here, in memory only: it is never written to a record, log or report. */
  readonly card: { readonly id: string; readonly pan: string; readonly expiry: string };
  readonly fundedMinor: number;
}
