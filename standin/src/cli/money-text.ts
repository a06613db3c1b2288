/** Money for people: £1,234.56 (minor units in; the CLI's one way of showing an amount). */
export const pounds = (minor: number) => `£${(minor / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
