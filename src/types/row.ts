/** A result-set row as the driver hands it over: column name -> value. */
export type Row = Readonly<Record<string, unknown>>;
