import type { CardAuthorisationRequest, CardAuthorisationResponse, CardReversalRequest, CardReversalResponse } from '@bank/shared-contracts';

// Response code 91, "issuer or switch inoperative": what a card network needs, inside its
// deadline, when primary cannot decide a message (its database is unreachable, or the stand-in
// it routed the message to did not answer). An HTTP 500 tells the network nothing; 91 lets it
// apply its own stand-in rules, and for a reversal means "not acknowledged: send it again".

export function authorisationUnavailable(request: CardAuthorisationRequest, reason: string): CardAuthorisationResponse {
  return {
    mti: request.mti === '0100' ? '0110' : '0210',
    stan: request.stan,
    rrn: request.rrn,
    terminalId: request.terminalId,
    responseCode: '91',
    approvedAmountMinor: 0,
    decidedBy: 'primary',
    reason,
  };
}

export function reversalUnavailable(request: CardReversalRequest, reason: string): CardReversalResponse {
  return {
    mti: request.mti === '0400' ? '0410' : '0430',
    stan: request.stan,
    rrn: request.rrn,
    terminalId: request.terminalId,
    responseCode: '91',
    decidedBy: 'primary',
    reason,
  };
}
