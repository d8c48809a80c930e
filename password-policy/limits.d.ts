export declare const PASSWORD_MIN_LENGTH: 12;
export declare const PASSWORD_MAX_LENGTH: 1024;
export declare const PASSWORD_MIN_SCORE: 3;
